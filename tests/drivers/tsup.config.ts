import { defineConfig } from 'tsup'

// Built for the benchmarks, which run plain Node on JavaScript; tests import the sources (vitest aliases).
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
})
