// Size budgets, minified + gzipped, as a user's bundler would ship them: core alone, and core + fetch
// (what an edge runtime loads). Fails the run when a budget is exceeded.
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const budgets = [
  { name: '@m3ter-auth/core (ESM)', entry: 'packages/core/dist/index.js', limit: 4096 },
  { name: '@m3ter-auth/core + @m3ter-auth/fetch (ESM)', entry: 'packages/fetch/dist/index.js', limit: 5120 },
]

let failed = false
for (const { name, entry, limit } of budgets) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    write: false,
    logLevel: 'error',
  })
  const code = result.outputFiles[0].contents
  const gzipped = gzipSync(code, { level: 9 }).length
  const ok = gzipped <= limit
  failed ||= !ok
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${gzipped} B min+gz (${code.length} B min), budget ${limit} B`)
}
process.exit(failed ? 1 : 0)
