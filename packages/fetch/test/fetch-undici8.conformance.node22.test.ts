import { createRequire } from 'node:module'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { describeAdapterConformance } from '@m3ter-auth/testkit'
import { fetchDriver } from './driver.ts'

// packages/fetch has no undici 8 of its own (adding one is a lockfile change), so the copy installed for
// packages/undici is borrowed. Its fetch has its own Request/Headers classes: a good test of duck typing.
const undiciPath = createRequire(new URL('../../undici/package.json', import.meta.url)).resolve('undici-8')
const { fetch: undiciFetch } = (await import(undiciPath)) as { fetch: typeof globalThis.fetch }

describeAdapterConformance('fetch (undici 8)', (auth) => fetchDriver(withM3terAuth(auth, undiciFetch)))
