// What each opt-in feature costs a Worker that imports `createTokenProvider` + `withM3terAuth` and does not use
// it (no store, no logger, one key, no subscriber): the bundle of size.mjs's core + fetch line, built from the
// sources with core's build-time name shortening, min+gz, with one feature cut out at a time (leave-one-out).
// A feature is cut by editing the source text as it is loaded; every edit must find its text, so a refactor
// that moves a feature makes this script fail rather than print a wrong figure. Informational, not a budget:
// node scripts/size-features.mjs
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { INTERNAL_NAMES_PATTERN } from '../packages/core/internal-names.mjs'

const root = new URL('..', import.meta.url).pathname
const ENTRY =
  "export { createTokenProvider, isM3terAuthError } from '@m3ter-auth/core'\nexport { withM3terAuth } from '@m3ter-auth/fetch'"

/** Per feature, per file under packages/: the edits [pattern, replacement] that remove it. */
const FEATURES = {
  'store sync (with the store hooks of the attempt and the interpreter)': {
    'core/src/provider-shell.ts': [[/sync:\s*store &&[\s\S]*?\}\),\n/, 'sync: undefined,\n']],
    'core/src/token-attempt.ts': [
      [/if \(sync\) \{[\s\S]*?source: 'store'[^\n]*\n {4}\}\n/, ''],
      [/await sync\?\.release\(lease\)/, ''],
    ],
    'core/src/effect-interpreter.ts': [
      [/const \{ sync, storeKey \} = shell[\s\S]*?sync\.write\(storeKey, effect\.token\)\n/, ''],
    ],
  },
  'redirects followed hop by hop (fetch)': {
    'fetch/src/index.ts': [
      [
        /^import \{/m,
        "const sendFollowingRedirects = async (send, input, init) => ({ response: await send(input, init), answeredFrom: 'asked' })\nconst followsRedirectsHere = () => false\nconst isRedirect = () => false\nconst followRedirects = sendFollowingRedirects\nimport {",
      ],
      [/ {2}sendFollowingRedirects,\n/, ''],
      [/ {2}followRedirects,\n/, ''],
      [/ {2}followsRedirectsHere,\n/, ''],
      [/ {2}isRedirect,\n/, ''],
    ],
  },
  'debug logger (M3TER_AUTH_DEBUG, the logger option, the out-of-scope notice)': {
    'core/src/options.ts': [
      [/const logger = chooseLogger\(options\.logger\)/, 'const logger = undefined as Logger | undefined'],
      [
        /inScope: noticeOutOfScope\(createScopePolicy\(scope\), scope, logger\)/,
        'inScope: createScopePolicy(scope)',
      ],
      [/log: logger && eventLogger\(logger\)/, 'log: undefined'],
    ],
  },
  'two-key rotation': {
    'core/src/credentials.ts': [[/if \(Array\.isArray\(source\)\) \{[\s\S]*?\n {2}\}\n/, '']],
    'core/src/machine.ts': [[/if \(!giveUps && !\(rejectedKeys & \(1 << other\)\)\)\n[^\n]*\n/, '']],
  },
  'time budget of a credentials function': {
    'core/src/token-attempt.ts': [
      [
        /await withinBudget\(\n\s*shell\.resolver\.resolve\(keyIndex\),[\s\S]*?signal,\n\s*\)/,
        'await shell.resolver.resolve(keyIndex)',
      ],
    ],
  },
  'observer extras (subscribe, servedAtOnce, token_waited, invalidate_ignored)': {
    'core/src/provider.ts': [
      [/subscribe\(listener\) \{[\s\S]*?\n {4}\},\n/, ''],
      [/servedAtOnce: shell\.servedAtOnce,\n/, ''],
      [/shell\.servedAtOnce\+\+\n/g, ''],
      [/else emit\(shell, \{ type: 'invalidate_ignored'[^\n]*\n/, ''],
    ],
    'core/src/token-waiters.ts': [[/emit\(shell, \{ type: 'token_waited'[^}]*\}\)/, 'undefined']],
  },
}

/** The bundle's size with `edits` applied to the sources, min+gz. */
async function bundleSize(edits = {}) {
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: `${root}packages/fetch`, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mangleProps: INTERNAL_NAMES_PATTERN,
    mangleQuoted: true,
    write: false,
    logLevel: 'error',
    plugins: [{ name: 'edited-sources', setup: editedSources(edits) }],
  })
  return gzipSync(result.outputFiles[0].contents, { level: 9 }).length
}

// `@m3ter-auth/<package>[/<entry>]` to that package's source, each file loaded with its edits applied.
function editedSources(edits) {
  return (bundler) => {
    bundler.onResolve({ filter: /^@m3ter-auth\// }, ({ path }) => {
      const [, name, entry] = path.match(/^@m3ter-auth\/([^/]+)(?:\/(.+))?$/)
      return { path: `${root}packages/${name}/src/${entry ?? 'index'}.ts` }
    })
    bundler.onLoad({ filter: /\.ts$/ }, ({ path }) => {
      const file = path.slice(`${root}packages/`.length)
      let text = readFileSync(path, 'utf8')
      for (const [pattern, replacement] of edits[file] ?? []) {
        if (!pattern.test(text)) throw new Error(`${file}: ${pattern} no longer matches; update this script`)
        text = text.replace(pattern, replacement)
      }
      return { contents: text, loader: 'ts' }
    })
  }
}

const whole = await bundleSize()
console.log(`core + fetch (createTokenProvider + withM3terAuth), from the sources: ${whole} B min+gz`)
for (const [feature, edits] of Object.entries(FEATURES)) {
  console.log(`${String(whole - (await bundleSize(edits))).padStart(6)} B  ${feature}`)
}
