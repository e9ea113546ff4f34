// ky with and without @m3ter-auth/ky against a loopback keep-alive server: interleaved rounds in one
// process, median throughput ratio. Run after `cd packages/ky && npx tsup` (imports the built dist).
import { createServer } from 'node:http'
import { createTokenProvider } from '@m3ter-auth/core'
import { m3terAuth } from '@m3ter-auth/ky'
import ky from 'ky'

// Many short interleaved pairs: on a shared machine throughput drifts, and a pair run back to back sees the
// same conditions; the median of the pair ratios shrugs off the pairs a noisy neighbour spoiled.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 41)
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400)
const CONCURRENCY = 16
const TARGET = 0.97

let tokenRequests = 0
const server = createServer((req, res) => {
  if (req.url === '/oauth/token') {
    tokenRequests++
    req.resume()
    res.setHeader('content-type', 'application/json')
    return res.end(
      JSON.stringify({ token_type: 'Bearer', access_token: 'bench.token.value', expires_in: 18000 }),
    )
  }
  res.setHeader('content-type', 'application/json')
  res.end('{"data":[],"ok":true}')
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
const plain = ky.extend({ retry: { limit: 0 } })
const authed = ky.extend({ retry: { limit: 0 }, ...m3terAuth(auth) })

async function run(client) {
  let next = 0
  const worker = async () => {
    while (next++ < REQUESTS) await (await client(url)).arrayBuffer()
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return REQUESTS / ((performance.now() - start) / 1000)
}

await run(plain)
await run(authed) // warm-up: JIT, sockets, the one token request
const ratios = []
for (let round = 0; round < ROUNDS; round++) {
  // Alternate which goes first so neither always gets the warmer process.
  let base
  let withAuth
  if (round % 2 === 0) {
    base = await run(plain)
    withAuth = await run(authed)
  } else {
    withAuth = await run(authed)
    base = await run(plain)
  }
  ratios.push(withAuth / base)
}
ratios.sort((x, y) => x - y)

const median = ratios[Math.floor(ratios.length / 2)]
console.log(`ky: median ratio ${median.toFixed(3)} (target >= ${TARGET}); token requests: ${tokenRequests}`)
await auth.close()
server.close()
server.closeAllConnections()
if (tokenRequests !== 1) throw new Error(`expected exactly one token request, saw ${tokenRequests}`)
// Ratios are noisy on shared machines: a miss fails the run only with --strict (hard checks always do).
if (median < TARGET) {
  console.log(
    `${process.argv.includes('--strict') ? 'FAIL' : 'WARN'}: median ratio ${median.toFixed(3)} < ${TARGET}`,
  )
  if (process.argv.includes('--strict')) process.exitCode = 1
}
