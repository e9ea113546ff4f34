import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Files named *.node22.test.ts exercise client majors that need Node >= 22 (got 16, ky 2, undici 8).
// `pnpm test` runs everything else on the machine's Node, then those files on Node 22 from the npm registry.
// The Redis package's tests start redis-server (a Debian package, not an npm one): `pnpm test:redis`.
const set = process.env.M3TER_TEST_SET ?? 'default'

const includes: Record<string, string[]> = {
  default: ['packages/**/*.test.ts', 'apps/**/*.test.ts'],
  redis: ['packages/redis/**/*.test.ts'],
  node22: ['packages/**/*.node22.test.ts', 'apps/**/*.node22.test.ts'],
  floors: ['packages/**/*.floor.test.ts'],
  reliability: ['tests/reliability/**/*.test.ts'],
  runtimes: ['tests/runtimes/**/*.test.ts'],
  // Suites that run Workers in workerd through miniflare (Node 22+), on the built packages.
  workerd: ['packages/**/*.workerd.test.ts'],
}

// Unit, adapter and reliability tests run against the sources, so no build is needed between an edit and a
// test run (and core's tests can use the testkit without a package cycle). The runtime tests load the built
// packages instead, exactly as users do.
const packages = ['core', 'fetch', 'axios', 'got', 'ky', 'undici', 'redis', 'testkit', 'cli', 'otel']
// Exact matches: a string `find` would also take `@m3ter-auth/core/internals` as a path under core's index.
const source = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url))
const alias =
  set === 'runtimes'
    ? []
    : [
        { find: /^@m3ter-auth\/core\/internals$/, replacement: source('core/src/internals.ts') },
        ...packages.map((name) => ({
          find: new RegExp(`^@m3ter-auth/${name}$`),
          replacement: source(`${name}/src/index.ts`),
        })),
      ]
// Files named *.floor.test.ts run with every client resolved to the oldest version its peer range allows
// (the `<client>-floor` aliases in each adapter's devDependencies), adapter sources included.
const floors = ['axios', 'got', 'ky', 'undici'].map((client) => ({
  find: new RegExp(`^${client}$`),
  replacement: `${client}-floor`,
}))

export default defineConfig({
  resolve: { alias: set === 'floors' ? [...alias, ...floors] : alias },
  test: {
    include: includes[set] ?? [],
    exclude: [
      '**/node_modules/**',
      '**/dist/**',
      ...(set === 'default'
        ? ['**/*.node22.test.ts', '**/*.floor.test.ts', '**/*.workerd.test.ts', 'packages/redis/**']
        : []),
    ],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
