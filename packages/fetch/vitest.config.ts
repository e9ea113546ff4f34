import { defineTests } from '../../vitest.shared.ts'

export default defineTests(import.meta.url, { runs: ['node22'] })
