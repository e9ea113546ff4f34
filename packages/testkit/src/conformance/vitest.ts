import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

type Vitest = typeof import('vitest')

// vitest is an optional ES-module peer. Loading it when this package is imported (a top-level await)
// would make the package impossible to require() and would drag vitest into Jest projects that only want
// the mock. It is loaded on first use instead, synchronously (require of an ES module, Node >= 20.19),
// when a conformance suite is declared. vitest's `require` entry only throws, so its ES entry is required
// by path: the same file a test's own `import 'vitest'` loads, hence the same runner state.
let loaded: Vitest | undefined

function load(): Vitest {
  if (loaded) return loaded
  const require = createRequire(import.meta.url)
  let manifest: string
  try {
    manifest = require.resolve('vitest/package.json')
  } catch {
    throw new Error('describeAdapterConformance needs vitest (a peer dependency of @m3ter-auth/testkit)')
  }
  const pkg = require(manifest) as { exports?: { '.'?: { import?: { default?: string } } } }
  const entry = pkg.exports?.['.']?.import?.default ?? './dist/index.js'
  loaded = require(join(dirname(manifest), entry)) as Vitest
  return loaded
}

/** vitest's API, loaded on first property access. */
export const vitest: Vitest = new Proxy({} as Vitest, {
  get: (_target, name) => load()[name as keyof Vitest],
})
