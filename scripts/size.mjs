// Size budgets, minified + gzipped, as a user's bundler would ship them: all of core, and what an edge
// worker pays for `createTokenProvider` + `withM3terAuth`. Fails the run when a budget is exceeded.
//
// The issues asked for 4 KB (core) and 5 KB (core + fetch). Core with its typed, explanatory errors,
// events, store, key rotation, strict validation and its runtime guards measures ~6.2-6.4 KB; with every
// string literal removed it would still be ~4.9 KB, so 4 KB cannot be met without dropping behaviour the
// contract requires. These budgets hold the line near where we are, so growth is a decision, not an accident.
// Three changes grew every bundle with core in it, each measured when it landed: the hardening (a cooldown
// after any give-up, monotonic local deadlines, every step of an attempt bounded, scrubbed causes: ~500 B),
// the observer API and debug log (subscribe, token_waited, logger: ~450 B), the request policy that moved
// the 401/403 rule out of five adapters into core (~1.4 KB) and the fleet store sync (lease release after
// the write, re-read after acquiring, budgeted store calls: ~600 B). Core went from 6.5 to 9.2 KB; the
// budgets below sit ~2-3% above what was measured then.
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const root = new URL('..', import.meta.url).pathname
const budgets = [
  { name: '@m3ter-auth/core (whole ESM build)', contents: "export * from '@m3ter-auth/core'", limit: 9472 },
  {
    name: '@m3ter-auth/core + @m3ter-auth/fetch (createTokenProvider + withM3terAuth)',
    contents:
      "export { createTokenProvider, isM3terAuthError } from '@m3ter-auth/core'\nexport { withM3terAuth } from '@m3ter-auth/fetch'",
    limit: 9472,
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
  // Both include core (see the budgets note above).
  {
    name: '@m3ter-auth/core + fetch + cloudflare (createTokenProvider + withM3terAuth + createDurableObjectStore)',
    contents:
      "export { createTokenProvider } from '@m3ter-auth/core'\nexport { withM3terAuth } from '@m3ter-auth/fetch'\nexport { createDurableObjectStore } from '@m3ter-auth/cloudflare'",
    dir: 'packages/cloudflare',
    limit: 10240,
  },
  {
    name: '@m3ter-auth/cloudflare (whole ESM build with core: the broker and the store)',
    contents: "export * from '@m3ter-auth/cloudflare'",
    dir: 'packages/cloudflare',
    limit: 10880,
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
