import { fileURLToPath } from 'node:url'
import { defineConfig } from 'tsup'

const workspace = ['core', 'fetch', 'axios', 'got', 'ky', 'undici', 'testkit', 'otel']

// An app, not a library: one ESM file for Node 20, no .d.ts. The m3ter-auth packages are bundled from their
// sources (as the tests alias them), so the sample always runs the code in this checkout, whatever state the
// other packages' dist folders are in. The HTTP clients stay external and load from node_modules as a user's
// would.
export default defineConfig({
  entry: ['src/main.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  noExternal: [/^@m3ter-auth\//],
  // Only the testkit's conformance suite uses vitest, and it imports it lazily: never part of the sample.
  external: ['vitest'],
  esbuildOptions(options) {
    options.alias = {
      ...Object.fromEntries(
        workspace.map((name) => [
          `@m3ter-auth/${name}`,
          fileURLToPath(new URL(`../../packages/${name}/src/index.ts`, import.meta.url)),
        ]),
      ),
      '@m3ter-auth/core/internals': fileURLToPath(
        new URL('../../packages/core/src/internals.ts', import.meta.url),
      ),
    }
  },
})
