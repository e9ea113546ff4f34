import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config'

interface Alias {
  find: RegExp
  replacement: string
}

// The base of every package's vitest.config.ts. A package's tests are split into runs (vitest projects),
// each its own `pnpm run` line in that package's package.json:
//   default   *.test.ts on the machine's Node (20), against the sources
//   floors    *.floor.test.ts with every client resolved to the oldest version its peer range allows
//   node22    *.node22.test.ts, client majors that need Node >= 22 (got 15/16, ky 2, undici 8), run by the
//             Node 22 binary in tools/nodes
//   workerd   *.workerd.test.ts, Workers in workerd through miniflare (Node 22), on the built package
const root = fileURLToPath(new URL('.', import.meta.url))

// Unit, adapter and reliability tests import the sources, so no build is needed between an edit and a test
// run (and core's tests can use the testkit without a package cycle). `@m3ter-auth/<name>/<subpath>` maps
// to `packages/<name>/src/<subpath>.ts`. The runtime tests load the built packages instead, as users do.
const PACKAGES = ['core', 'fetch', 'axios', 'got', 'ky', 'undici', 'redis', 'testkit', 'cli', 'otel']
// The adapters' drivers (tests/drivers) too: built only for the benchmarks.
export const sourceAliases: Alias[] = [
  ...PACKAGES.flatMap((name) => [
    { find: new RegExp(`^@m3ter-auth/${name}$`), replacement: `${root}packages/${name}/src/index.ts` },
    { find: new RegExp(`^@m3ter-auth/${name}/([\\w-]+)$`), replacement: `${root}packages/${name}/src/$1.ts` },
  ]),
  { find: /^@m3ter-auth\/drivers$/, replacement: `${root}tests/drivers/src/index.ts` },
]

// The `<client>-floor` aliases in each adapter's devDependencies: the oldest version its peer range allows.
const floorAliases: Alias[] = ['axios', 'got', 'ky', 'undici'].map((client) => ({
  find: new RegExp(`^${client}$`),
  replacement: `${client}-floor`,
}))

export type Run = 'default' | 'floors' | 'node22' | 'workerd'

const files: Record<Run, string> = {
  default: '**/*.test.ts',
  floors: '**/*.floor.test.ts',
  node22: '**/*.node22.test.ts',
  workerd: '**/*.workerd.test.ts',
}

export interface TestsOptions {
  /** The runs this package has besides `default` (default: none). */
  readonly runs?: readonly Exclude<Run, 'default'>[]
  /** Import `@m3ter-auth/*` from the sources (default) or, false, from the built packages. */
  readonly sources?: boolean
}

/** The projects of one package, its directory given as `import.meta.url` of its vitest.config.ts. */
export function projectsOf(configUrl: string, options: TestsOptions = {}): TestProjectInlineConfiguration[] {
  const dir = dirname(fileURLToPath(configUrl))
  const runs: Run[] = ['default', ...(options.runs ?? [])]
  const aliases = options.sources === false ? [] : sourceAliases
  return runs.map((run) => ({
    root: dir,
    resolve: { alias: run === 'floors' ? [...aliases, ...floorAliases] : aliases },
    test: {
      name: run,
      include: [files[run]],
      exclude: [
        '**/node_modules/**',
        '**/dist/**',
        // The default run takes what no other run claims.
        ...(run === 'default' ? Object.values(files).filter((glob) => glob !== files.default) : []),
      ],
      testTimeout: 20_000,
      hookTimeout: 20_000,
    },
  }))
}

/**
 * A package's whole vitest config: `vitest run --project <run>` picks a run.
 *
 * @example
 * ```ts
 * export default defineTests(import.meta.url, { runs: ['floors', 'node22'] })
 * ```
 */
export function defineTests(configUrl: string, options: TestsOptions = {}) {
  return defineConfig({ test: { projects: projectsOf(configUrl, options) } })
}
