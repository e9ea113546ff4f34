// Size budgets, minified + gzipped, as a user's bundler would ship them: all of core, and what an edge
// worker pays for `createTokenProvider` + `withM3terAuth`. Fails the run when a budget is exceeded.
//
// The issues asked for 4 KB (core) and 5 KB (core + fetch). Core with its typed, explanatory errors,
// events, store, key rotation, strict validation and its runtime guards measures ~6.2-6.4 KB; with every
// string literal removed it would still be ~4.9 KB, so 4 KB cannot be met without dropping behaviour the
// contract requires. These budgets hold the line near where we are, so growth is a decision, not an accident.
// The hardening of issue 18 added ~360 B to every bundle with core in it (a cooldown after any give-up,
// monotonic local deadlines, every step of an attempt bounded, scrubbed error causes): core 6656 -> 7104,
// core + fetch 7168 -> 7232, core + fetch + cloudflare 7680 -> 7936, cloudflare whole 9216 -> 9408.
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const root = new URL('..', import.meta.url).pathname
const budgets = [
  // Raised from 6656 B by the debug log (logger option, M3TER_AUTH_DEBUG) and the observer API (subscribe,
  // token_waited and invalidate_ignored events, servedAtOnce): about 450 B.
  { name: '@m3ter-auth/core (whole ESM build)', contents: "export * from '@m3ter-auth/core'", limit: 7168 },
  {
    name: '@m3ter-auth/core + @m3ter-auth/fetch (createTokenProvider + withM3terAuth)',
    contents:
      "export { createTokenProvider, isM3terAuthError } from '@m3ter-auth/core'\nexport { withM3terAuth } from '@m3ter-auth/fetch'",
    limit: 7232,
  },
  {
    // Its own code only: core and the OpenTelemetry API are the application's anyway.
    name: '@m3ter-auth/otel (its own code; core and @opentelemetry/api external)',
    contents: "export * from './dist/index.js'",
    dir: 'packages/otel',
    external: ['@m3ter-auth/core', '@opentelemetry/api'],
    limit: 2560,
  },
  {
    // Its own code only: core is the application's anyway, and the Redis client is the user's.
    name: '@m3ter-auth/redis (its own code; core external)',
    contents: "export * from './dist/index.js'",
    dir: 'packages/redis',
    external: ['@m3ter-auth/core'],
    limit: 2560,
  },
  // A Worker of a fleet that takes its token from the Durable Object broker, and the whole broker package.
  // Both include core: raised by 256 B each with core's debug log and observer API (see the first budget).
  {
    name: '@m3ter-auth/core + fetch + cloudflare (createTokenProvider + withM3terAuth + createDurableObjectStore)',
    contents:
      "export { createTokenProvider } from '@m3ter-auth/core'\nexport { withM3terAuth } from '@m3ter-auth/fetch'\nexport { createDurableObjectStore } from '@m3ter-auth/cloudflare'",
    dir: 'packages/cloudflare',
    limit: 7936,
  },
  {
    name: '@m3ter-auth/cloudflare (whole ESM build with core: the broker and the store)',
    contents: "export * from '@m3ter-auth/cloudflare'",
    dir: 'packages/cloudflare',
    limit: 9472,
  },
]

let failed = false
for (const { name, contents, limit, external = [], dir = 'packages/fetch' } of budgets) {
  const result = await build({
    stdin: { contents, resolveDir: `${root}${dir}`, loader: 'js' },
    bundle: true,
    external,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['import'],
    alias: { '@m3ter-auth/cloudflare': `${root}packages/cloudflare/dist/index.js` },
    write: false,
    logLevel: 'error',
  })
  const code = result.outputFiles[0].contents
  const gzipped = gzipSync(code, { level: 9 }).length
  const ok = gzipped <= limit
  failed ||= !ok
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${name}: ${gzipped} B min+gz (${code.length} B min), budget ${limit} B`,
  )
}
process.exit(failed ? 1 : 0)
