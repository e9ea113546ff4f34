// Guards for the packages that must run on every runtime (the house rule: core imports nothing; fetch and
// cloudflare import only core; otel only core and @opentelemetry/api). Fails when their sources or builds
// import a `node:` module or any other package, use Buffer or a bare `process`, need either at import time,
// or declare other runtime dependencies.
// Sizes are scripts/size.mjs's business. Run after a build: node scripts/guards.mjs
import { readdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createContext, runInContext } from 'node:vm'
import { build, transform } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))

export const TARGETS = [
  { name: '@m3ter-auth/core', dir: 'packages/core', allowed: [] },
  { name: '@m3ter-auth/fetch', dir: 'packages/fetch', allowed: ['@m3ter-auth/core'] },
  {
    name: '@m3ter-auth/otel',
    dir: 'packages/otel',
    allowed: ['@m3ter-auth/core', '@opentelemetry/api'],
    smoke:
      "m3ter.instrumentM3terAuth({ subscribe: () => () => {}, snapshot: () => ({ status: 'empty', generation: 0 }) })()",
  },
  // Runs inside workerd: web-standard only, like fetch. Its smoke makes a store and a broker.
  {
    name: '@m3ter-auth/cloudflare',
    dir: 'packages/cloudflare',
    allowed: ['@m3ter-auth/core'],
    smoke: `m3ter.createDurableObjectStore({ idFromName: (n) => n, get: () => ({ fetch: () => Promise.reject(new Error('x')) }) })
new m3ter.M3terTokenBroker({ storage: {} }, {})`,
  },
]

/**
 * Every import that leaves the package (anything not relative), found by esbuild as it bundles the entry
 * (or `contents` in its place). Type-only imports are erased and pass.
 */
export async function importProblems(entry, allowed, contents) {
  const found = []
  await build({
    ...(contents === undefined
      ? { entryPoints: [entry] }
      : { stdin: { contents, sourcefile: entry, loader: 'ts', resolveDir: dirname(entry) } }),
    bundle: true,
    write: false,
    platform: 'neutral',
    logLevel: 'silent',
    plugins: [
      {
        name: 'record-external',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => {
            found.push(args.path)
            return { path: args.path, external: true }
          })
        },
      },
    ],
  })
  // A package's subpaths (`@m3ter-auth/core/internals`) count as the package.
  const isAllowed = (spec) => allowed.some((name) => spec === name || spec.startsWith(`${name}/`))
  return found.filter((spec) => !isAllowed(spec)).map((spec) => `${entry}: imports '${spec}'`)
}

/**
 * Free references to Buffer, process or require, which throw where the runtime has none. `globalThis.process?.env`
 * (core's guarded read of the environment) is a property access and passes. Comments are stripped first.
 */
export async function referenceProblems(name, code, ids = ['Buffer', 'process', 'require']) {
  const { code: bare } = await transform(code, {
    loader: 'ts',
    minifyWhitespace: true,
    legalComments: 'none',
  })
  const pattern = new RegExp(`(?<![.\\w$])(${ids.join('|')})\\b(?!\\s*:)`, 'g')
  const free = [...bare.matchAll(pattern)].map((m) => m[1])
  return [...new Set(free)].map((id) => `${name}: references ${id}`)
}

// What edge runtimes have in common: web-standard globals only, no process, Buffer, require or setImmediate.
const WEB_GLOBALS = [
  'URL',
  'URLSearchParams',
  'TextEncoder',
  'TextDecoder',
  'AbortController',
  'AbortSignal',
  'Headers',
  'Request',
  'Response',
  'fetch',
  'setTimeout',
  'clearTimeout',
  'btoa',
  'atob',
  'queueMicrotask',
  'structuredClone',
  'console',
  'Event',
  'EventTarget',
  'DOMException',
]

/**
 * Loads a bundle in a context with web globals only and runs `smoke` there: anything that touches process or
 * Buffer while importing (or in the smoke) throws a ReferenceError.
 */
export function evaluationProblems(name, iife, smoke = '') {
  const context = createContext(Object.fromEntries(WEB_GLOBALS.map((g) => [g, globalThis[g]])))
  try {
    runInContext(`${iife}\n${smoke}`, context, { filename: name })
    return []
  } catch (error) {
    return [`${name}: fails without Node globals: ${error?.message ?? error}`]
  }
}

/** Runtime dependencies beyond those allowed (core for adapters, none for core). */
export function dependencyProblems(name, pkg, allowed) {
  const declared = ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((field) =>
    Object.keys(pkg[field] ?? {}),
  )
  return declared.filter((dep) => !allowed.includes(dep)).map((dep) => `${name}: depends on ${dep}`)
}

async function bundleIife(entry) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'm3ter',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    logLevel: 'error',
  })
  return result.outputFiles[0].text
}

// Constructs a provider and a wrapped fetch, which touches the defaults (system clock, scope, options).
const SMOKE = `
const auth = m3ter.createTokenProvider({ credentials: { accessKeyId: 'k', apiSecret: 's' } })
auth.snapshot(); auth.inScope('https://api.m3ter.com/x'); void auth.close()
`

export async function checkAll() {
  const problems = []
  for (const { name, dir, allowed, smoke: own } of TARGETS) {
    const at = (file) => `${root}${dir}/${file}`
    const pkg = JSON.parse(readFileSync(at('package.json'), 'utf8'))
    problems.push(...dependencyProblems(name, pkg, allowed))
    // Every entry point (core has `internals` besides `index`) and every built file, shared chunks included.
    const entries = readdirSync(at('src')).filter((f) => ['index.ts', 'internals.ts'].includes(f))
    const built = readdirSync(at('dist')).filter((f) => f.endsWith('.js') || f.endsWith('.cjs'))
    for (const file of [...entries.map((f) => `src/${f}`), ...built.map((f) => `dist/${f}`)]) {
      problems.push(...(await importProblems(at(file), allowed)))
    }
    for (const file of built) {
      const code = readFileSync(at(`dist/${file}`), 'utf8')
      // The CommonJS build loads core with require, which the import check above has already vetted.
      const ids = file.endsWith('.cjs') ? ['Buffer', 'process'] : undefined
      problems.push(...(await referenceProblems(`${name} dist/${file}`, code, ids)))
    }
    const iife = await bundleIife(at('dist/index.js'))
    const smoke =
      own ?? (name === '@m3ter-auth/core' ? SMOKE : 'm3ter.withM3terAuth({ inScope: () => false })')
    problems.push(...evaluationProblems(`${name} dist/index.js`, iife, smoke))
  }
  return problems
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const problems = await checkAll()
  for (const p of problems) console.error(`FAIL ${p}`)
  if (problems.length === 0)
    console.log(`ok   ${TARGETS.map((t) => t.name).join(', ')}: runtime-neutral, no dependencies`)
  process.exit(problems.length === 0 ? 0 : 1)
}
