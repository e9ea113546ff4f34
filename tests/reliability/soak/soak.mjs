// Soak run for one adapter, spawned by test/soak.test.ts as `node --expose-gc soak.mjs <adapter> <requests> [memory]`.
// It imports the built packages (dist), as users do, so that the heap it measures is the library's and not
// vitest's transform machinery. It ends by returning from its top level, never by process.exit: the test
// checks that nothing (timer, socket, agent) keeps the process alive once the work is done.
//
// Time: the mock and the provider share a manual clock. A token lives 3600 s; with random() = 0.5 the
// provider refreshes it 3185 s after it was requested (skew 10 s, window 360 s widened by 12.5 %). The clock
// moves in 60 s steps, so each refresh starts at the first step at or after that point: every 54 steps
// (3240 s). 100 lifetimes are 5400 steps; the requests are spread evenly over steps 0..5400.
import { attachM3terAuth } from '@m3ter-auth/axios'
import { createTokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { m3terAuthHooks } from '@m3ter-auth/got'
import { m3terAuth } from '@m3ter-auth/ky'
import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'
import { m3terAuthInterceptor } from '@m3ter-auth/undici'
import axios from 'axios'
import got from 'got'
import ky from 'ky'
import * as undici from 'undici'

const [adapter = 'fetch', requestsArg = '1000', transport = 'http'] = process.argv.slice(2)
const TOTAL = Number(requestsArg)
const LIFETIMES = 100
const STEP_MS = 60_000
const STEPS_PER_REFRESH = 54
const STEPS = LIFETIMES * STEPS_PER_REFRESH
// Warm-up before the heap baseline: twenty refresh cycles (connection pools, JIT tiers, lazily compiled
// client code). Growth after it is measured over the remaining 80 lifetimes; a leak of even 12 bytes per
// request would pass 1 MiB over 80,000 requests.
const BASELINE_STEP = 20 * STEPS_PER_REFRESH
const SAMPLE_EVERY = 10 * STEPS_PER_REFRESH
const CONCURRENCY = transport === 'memory' ? 200 : 32
const gc = globalThis.gc
if (typeof gc !== 'function') throw new Error('run with --expose-gc')

const started = performance.now()
const clock = createManualClock()
const m3ter = await startMockM3ter({ clock, tokenLifetimeSeconds: 3600, meters: 3, accounts: 1 })
const key = m3ter.keys[0]
const reasons = {}
let fetched = 0
let onFetched
const auth = createTokenProvider({
  credentials: { accessKeyId: key.accessKeyId, apiSecret: key.apiSecret },
  tokenUrl: m3ter.tokenUrl,
  scope: [m3ter.apiUrl],
  clock,
  random: () => 0.5,
  onEvent(event) {
    if (event.type === 'fetch_started') reasons[event.reason] = (reasons[event.reason] ?? 0) + 1
    if (event.type === 'token_fetched') {
      fetched += 1
      onFetched?.()
    }
  },
})

// Tokens the API side accepts: the newest and the one before (served while its replacement is fetched).
// Everything older must never be seen again.
let current
let previous
let memoryRequests = 0
let badBearer = 0
const url = `${m3ter.apiUrl}/organizations/${m3ter.orgId}/meters?pageSize=1`
const okBody = '{"data":[]}'

// The in-process API for the 1,000,000-request fetch run: same checks as the mock (the bearer is one the
// mock issued and is current), without 1,000,000 loopback round trips on 2 cores.
const memoryFetch = async (input, init) => {
  memoryRequests += 1
  if (String(input) !== url) throw new TypeError(`in-process API: unexpected URL ${input}`)
  const header = new Headers(init?.headers).get('authorization') ?? ''
  const token = header.startsWith('Bearer ') ? header.slice(7) : ''
  // A refresh may land in the middle of a burst: learn tokens the mock issued since the last look.
  if (token !== current && token !== previous) learnIssued()
  if (token !== current && token !== previous) {
    badBearer += 1
    return new Response('{"message":"Forbidden"}', { status: 403 })
  }
  return new Response(okBody, { status: 200, headers: { 'content-type': 'application/json' } })
}

let close = async () => {}
let send
switch (adapter) {
  case 'fetch': {
    const authed = withM3terAuth(auth, transport === 'memory' ? memoryFetch : undefined)
    send = async () => {
      const res = await authed(url)
      await res.text()
      return res.status
    }
    break
  }
  case 'axios': {
    const instance = axios.create()
    attachM3terAuth(instance, auth)
    send = async () => (await instance.get(url, { responseType: 'text', validateStatus: () => true })).status
    break
  }
  case 'got': {
    const client = got.extend({ hooks: m3terAuthHooks(auth), retry: { limit: 0 }, throwHttpErrors: false })
    send = async () => (await client(url)).statusCode
    break
  }
  case 'ky': {
    const client = ky.extend({ ...m3terAuth(auth), retry: { limit: 0 }, throwHttpErrors: false })
    send = async () => {
      const res = await client(url)
      await res.text()
      return res.status
    }
    break
  }
  case 'undici': {
    const agent = new undici.Agent()
    const dispatcher = agent.compose(m3terAuthInterceptor(auth))
    send = async () => {
      const res = await undici.request(url, { dispatcher })
      await res.body.text()
      return res.statusCode
    }
    close = () => agent.close()
    break
  }
  default:
    throw new Error(`unknown adapter ${adapter}`)
}

// The mock logs every request; it is emptied each step (its counters first added up) so the log is not
// mistaken for a leak.
const totals = { tokenRequests: 0, apiRequests: 0, api200: 0, bearerRejections: 0 }
function learnIssued() {
  for (const token of m3ter.issuedTokens) {
    if (token !== current && token !== previous) {
      previous = current
      current = token
    }
  }
}
function drainMock() {
  const stats = m3ter.stats
  learnIssued()
  totals.tokenRequests += stats.tokenRequests
  totals.apiRequests += stats.apiRequests
  totals.api200 += stats.apiRequestsByStatus[200] ?? 0
  totals.bearerRejections += stats.bearerRejections
  m3ter.reset()
}

const heap = async () => {
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage().heapUsed
}

let sent = 0
let failed = 0
let baseline
let baselineAt
const samples = []
async function burst(count) {
  let next = 0
  const worker = async () => {
    while (next < count) {
      next += 1
      const status = await send()
      if (status !== 200) failed += 1
      sent += 1
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker))
}

const perStep = Math.floor(TOTAL / (STEPS + 1))
let extra = TOTAL - perStep * (STEPS + 1)
for (let step = 0; step <= STEPS; step++) {
  // A background refresh started by a demand of the last step ends (real loopback I/O) before the clock
  // moves on: in the world this models, it takes milliseconds and the next minute is far away. Moving the
  // clock first would time the request out (timeoutMs is on the same clock) and measure the harness.
  if (auth.snapshot().status === 'refreshing') await new Promise((resolve) => (onFetched = resolve))
  onFetched = undefined
  if (step > 0) await clock.advance(STEP_MS)
  // In memory, the token the API side accepts comes from the mock's issued list after each fetch.
  if (transport === 'memory' || step === 0) drainMock()
  const count = perStep + (extra > 0 ? 1 : 0)
  if (extra > 0) extra -= 1
  if (step === 0) {
    // The first request of all: the cold fetch, the only wait allowed.
    await burst(1)
    drainMock()
    await burst(count - 1)
  } else {
    await burst(count)
  }
  drainMock()
  if (step === BASELINE_STEP) {
    baseline = await heap()
    baselineAt = sent
  }
  // Heap after GC every ten lifetimes, to tell a trend (a leak) from a one-off step.
  if (step > 0 && step % SAMPLE_EVERY === 0) samples.push(Math.round((await heap()) / 1024))
}
if (auth.snapshot().status === 'refreshing') await new Promise((resolve) => (onFetched = resolve))
drainMock()
const end = await heap()

await auth.close()
await close()
await m3ter.close()

const result = {
  adapter,
  transport,
  requests: sent,
  failed,
  apiRequestsSeenByMock: totals.apiRequests,
  api200: totals.api200,
  memoryRequests,
  badBearer,
  bearerRejections: totals.bearerRejections,
  tokenRequests: totals.tokenRequests,
  tokensFetched: fetched,
  fetchReasons: reasons,
  steps: STEPS,
  clockHours: (STEPS * STEP_MS) / 3_600_000,
  heapBaseline: baseline,
  heapEnd: end,
  heapGrowth: end - baseline,
  heapSamplesKiB: samples,
  requestsAfterBaseline: sent - baselineAt,
  durationMs: Math.round(performance.now() - started),
}
// One line, read by the test; then the top level returns and the process must end by itself.
process.stdout.write(`SOAK ${JSON.stringify(result)}\n`)
