// How hard a failing token endpoint is hit: token requests per second and per minute while the endpoint
// keeps failing, with one caller calling getToken in a hot loop and with eight concurrent workers behind the
// fetch adapter. Real time (the provider's default clock, a real loopback mock m3ter); not a pass/fail bench.
//
//   pnpm exec turbo run build --filter @m3ter-auth/core --filter @m3ter-auth/fetch --filter @m3ter-auth/testkit
//   node bench/token-rate.mjs [--seconds 60] [--parallel] [--only html,404]
//
// --seconds: how long each cell runs (default 60, so "per minute" is measured, not extrapolated; 120 also
//   gives the second minute, once the cooldowns have grown).
// --parallel: run every cell at once (for a fixed code the counts are set by the backoff, not by CPU; use it
//   only when the rate is bounded, since cells that hammer share one CPU and undercount each other).
// RATE_CORE=/path/to/core/dist/index.js measures another build of core (say, a copy of an older one).
import { withM3terAuth } from '@m3ter-auth/fetch'
import { startMockM3ter } from '@m3ter-auth/testkit'

const core = await import(process.env.RATE_CORE ?? '@m3ter-auth/core')

const args = process.argv.slice(2)
const arg = (name) => {
  const i = args.indexOf(name)
  return i < 0 ? undefined : args[i + 1]
}
const seconds = Number(arg('--seconds') ?? 60)
const parallel = args.includes('--parallel')
const only = arg('--only')?.split(',')

const faults = [
  ['html', 'HTML 200', { kind: 'html' }],
  ['json', 'invalid JSON 200', { kind: 'non-json' }],
  ['expires0', 'expires_in 0', { kind: 'expires-in', expiresIn: 0 }],
  ['expires-short', 'expires_in 0.001', { kind: 'expires-in', expiresIn: 0.001 }],
  ['404', '404', { kind: 'status', status: 404 }],
  ['3xx', '302 redirect', { kind: 'redirect', location: 'https://example.com/elsewhere', status: 302 }],
  ['5xx', '503 round, no Retry-After', { kind: 'status', status: 503 }],
].filter(([id]) => !only || only.includes(id))

const yieldNow = () => new Promise((resolve) => setImmediate(resolve))

/** One cell: a fresh mock and provider, `workers` loops calling as fast as they can for `seconds`. */
async function cell([, name, fault], mode) {
  const m3ter = await startMockM3ter()
  const key = m3ter.keys[0]
  m3ter.faults.inject('token', fault, { times: Number.POSITIVE_INFINITY })
  const auth = core.createTokenProvider({
    credentials: { accessKeyId: key.accessKeyId, apiSecret: key.apiSecret },
    tokenUrl: m3ter.tokenUrl,
    scope: [m3ter.apiUrl],
  })
  const url = `${m3ter.apiUrl}/organizations/${m3ter.orgId}/meters?pageSize=1`
  const wrapped = withM3terAuth(auth, fetch)
  const call =
    mode === 'caller'
      ? () => auth.getToken()
      : async () => {
          const res = await wrapped(url)
          await res.arrayBuffer()
        }
  const workers = mode === 'caller' ? 1 : 8
  const end = Date.now() + seconds * 1000
  let calls = 0
  let served = 0
  const loop = async () => {
    // A failure that comes back without I/O settles in a microtask: yield now and then so the timers (the
    // per-second sampler, the provider's backoff) and sockets get their turn, as in any real program.
    for (let i = 1; Date.now() < end; i++) {
      try {
        await call()
        served++
      } catch {}
      calls++
      if (i % 100 === 0) await yieldNow()
    }
  }
  const perSecond = []
  let last = 0
  const sampler = setInterval(() => {
    const now = m3ter.stats.tokenRequests
    perSecond.push(now - last)
    last = now
  }, 1000)
  await Promise.all(Array.from({ length: workers }, loop))
  clearInterval(sampler)
  const total = m3ter.stats.tokenRequests
  await auth.close()
  await m3ter.close()
  const minute = (n) => perSecond.slice(60 * n, 60 * (n + 1)).reduce((a, b) => a + b, 0)
  return {
    fault: name,
    mode: mode === 'caller' ? '1 caller, getToken loop' : '8 workers, fetch adapter',
    calls,
    served,
    'token req total': total,
    'req/s mean': +(total / seconds).toFixed(2),
    'req/s max': Math.max(0, ...perSecond),
    'req/s last': perSecond.at(-1) ?? 0,
    ...(seconds >= 60
      ? { 'req/min 1st': minute(0), ...(seconds >= 120 ? { 'req/min 2nd': minute(1) } : {}) }
      : { 'req/min (mean x60)': Math.round((total * 60) / seconds) }),
  }
}

const cells = faults.flatMap((fault) => [
  [fault, 'caller'],
  [fault, 'workers'],
])
console.log(
  `token endpoint request rate under failure: real time, ${seconds} s per cell, ${parallel ? 'cells in parallel' : 'one cell at a time'}, core from ${process.env.RATE_CORE ?? '@m3ter-auth/core'}`,
)
const rows = parallel
  ? await Promise.all(cells.map(([fault, mode]) => cell(fault, mode)))
  : await cells.reduce(async (done, [fault, mode]) => [...(await done), await cell(fault, mode)], [])
console.table(rows)
