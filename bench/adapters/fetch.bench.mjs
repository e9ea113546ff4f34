// Throughput of fetch with and without @m3ter-auth/fetch against a loopback keep-alive server. Without it,
// the request carries the same bearer, set by hand.
// Rounds run side by side in one process, alternating which goes first; the median of the per-round ratios
// (wrapped / bare requests per second) is the figure. Target: >= 0.97. Also asserts that the wrapped fetch
// asked the token endpoint exactly once.
//
//   cd packages/core && npx tsup; cd ../fetch && npx tsup; node bench/adapters/fetch.bench.mjs [--strict]
//
// Env: BENCH_ROUNDS (default 15), BENCH_REQUESTS per run (default 2000), BENCH_CONCURRENCY (default 16).
import { createServer } from 'node:http'
import { createTokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15)
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)
const TARGET = 0.97

let tokenRequests = 0
const answer = JSON.stringify({ data: [{ id: 'm1', code: 'calls' }], nextToken: null })
const server = createServer((req, res) => {
  if (req.url === '/oauth/token') {
    tokenRequests++
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ token_type: 'Bearer', access_token: 'bench-token', expires_in: 18000 }))
    })
    return
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) })
  res.end(answer)
})
server.keepAliveTimeout = 60_000
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${server.address().port}`
const url = `${origin}/organizations/org/meters`

const auth = createTokenProvider({
  credentials: { accessKeyId: 'bench-key', apiSecret: 'bench-secret' },
  tokenUrl: `${origin}/oauth/token`,
  scope: [origin],
})
// The baseline is the same request made by hand: fetch with the same Authorization header (a static one),
// so both sides send identical bytes and the ratio is the adapter's own cost.
const bareInit = { headers: { authorization: 'Bearer bench-token' } }
const bare = (input) => fetch(input, bareInit)
const wrapped = withM3terAuth(auth, fetch)

async function run(f) {
  let next = 0
  const worker = async () => {
    while (next++ < REQUESTS) {
      const res = await f(url)
      if (res.status !== 200) throw new Error(`unexpected status ${res.status}`)
      await res.arrayBuffer()
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return REQUESTS / ((performance.now() - started) / 1000)
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

// Warm-up: connections, JIT, and the one token.
await run(bare)
await run(wrapped)

const ratios = []
const bareRates = []
const wrappedRates = []
for (let round = 0; round < ROUNDS; round++) {
  let b
  let w
  if (round % 2 === 0) {
    b = await run(bare)
    w = await run(wrapped)
  } else {
    w = await run(wrapped)
    b = await run(bare)
  }
  bareRates.push(b)
  wrappedRates.push(w)
  ratios.push(w / b)
}

await auth.close()
server.closeAllConnections()
server.close()

const ratio = median(ratios)
console.log(
  JSON.stringify({
    bench: 'fetch',
    node: process.version,
    rounds: ROUNDS,
    requestsPerRun: REQUESTS,
    concurrency: CONCURRENCY,
    bareRps: Math.round(median(bareRates)),
    wrappedRps: Math.round(median(wrappedRates)),
    medianRatio: Number(ratio.toFixed(4)),
    target: TARGET,
    tokenRequests,
  }),
)
if (tokenRequests !== 1) {
  console.error(`FAIL: ${tokenRequests} token requests; expected exactly 1 while the token is fresh`)
  process.exitCode = 1
}
if (ratio < TARGET) {
  console.error(
    `${process.argv.includes('--strict') ? 'FAIL' : 'WARN'}: median ratio ${ratio.toFixed(4)} < ${TARGET}`,
  )
  if (process.argv.includes('--strict')) process.exitCode = 1
}
