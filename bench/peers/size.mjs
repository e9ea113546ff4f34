// What a Cloudflare Worker would bundle for a contender: its setup module (the few lines a user writes, in
// contenders/) bundled by esbuild with the worker conditions, minified, then gzipped. `auth` leaves the HTTP
// client out (axios, ky): the cost of the authentication itself; `total` includes it.
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const BUILTINS =
  /^(node:)?(assert|buffer|child_process|crypto|dns|events|fs|http|http2|https|net|os|path|querystring|stream|string_decoder|tls|url|util|zlib)(\/.*)?$/

async function gzipSize(entry, external) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    external,
    write: false,
    logLevel: 'silent',
  })
  return gzipSync(result.outputFiles[0].contents, { level: 9 }).length
}

/** `{ auth, total }` gzipped bytes, or `{ nodeOnly: true }` where the contender needs Node's own modules. */
export async function workerBundleSize(contender) {
  if (!contender.worker) return { nodeOnly: true }
  const entry = new URL(`contenders/${contender.module}`, import.meta.url).pathname
  const clients = contender.packages.filter((p) => p === 'axios' || p === 'ky')
  try {
    return { auth: await gzipSize(entry, clients), total: await gzipSize(entry, []) }
  } catch (error) {
    // A bundle that cannot resolve without Node's modules is not one a Worker can load.
    if (String(error?.message).match(BUILTINS)) return { nodeOnly: true }
    throw error
  }
}
