import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { beforeAll, expect, it } from 'vitest'

// §4.11 with the real default clock, in a real Node process: background work (a refresh backing off while
// the current token is still served) never keeps the process alive, but a caller awaiting a token is never
// abandoned by the process exiting under it.
let bundle = ''
beforeAll(async () => {
  bundle = join(mkdtempSync(join(tmpdir(), 'm3ter-auth-exit-')), 'core.mjs')
  await build({
    entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    outfile: bundle,
    logLevel: 'error',
  })
})

function runNode(body: string) {
  const script = join(mkdtempSync(join(tmpdir(), 'm3ter-auth-exit-')), 'main.mjs')
  writeFileSync(script, `import { createTokenProvider, systemClock } from ${JSON.stringify(bundle)}\n${body}`)
  return spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 30_000 })
}

// The token endpoint answers once, then is down (a network error), all in process.
const provider = (retry: string) => `
let calls = 0
let offset = 0
const auth = createTokenProvider({
  credentials: { accessKeyId: 'k', apiSecret: 's' },
  // Time that passes moves both clocks: wall time (expiry) and monotonic time (deadlines, freshness).
  clock: { ...systemClock, now: () => Date.now() + offset, monotonic: () => performance.now() + offset },
  retry: ${retry},
  fetch: async () => {
    if (calls++ === 0) return Response.json({ token_type: 'Bearer', access_token: 'tok', expires_in: 18000 })
    throw new TypeError('fetch failed')
  },
  onEvent: (e) => { if (e.type === 'refresh_failed') console.log('refresh_failed', e.retryInMs === undefined ? 'gave up' : 'backoff') },
})
`

it('§4.11 nothing keeps a Node process alive: a background refresh backing off is unref’d', () => {
  const run = runNode(`${provider('{ baseDelayMs: 60000, maxDelayMs: 60000 }')}
await auth.getToken()
offset = 5 * 3600 * 1000 - 60_000 // inside the refresh window, the token still valid
console.log('served', await auth.getToken())
`)
  expect(run.stdout).toContain('served tok')
  expect(run.stdout).toContain('refresh_failed backoff')
  expect(run.signal).toBeNull()
  expect(run.status).toBe(0)
})

it('§4.11 a caller awaiting a token through a backoff keeps the process alive until it settles', () => {
  const run = runNode(`${provider('{ maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 200 }')}
offset = 0
calls = 1 // the endpoint is down from the start
try { await auth.getToken() } catch (e) { console.log('rejected', e.code) }
`)
  expect(run.stdout).toContain('refresh_failed gave up')
  expect(run.stdout).toContain('rejected token_endpoint_unavailable')
  expect(run.status).toBe(0)
})
