// Core's speed and memory figures, printed side by side from one run:
// 1. getToken() with a fresh cached token vs `await Promise.resolve(token)`: target ratio <= 3.
// 2. 10,000 concurrent getToken() on a cold provider: exactly one token request, all resolve.
// 3. 1,000,000 getToken() calls: heap growth under 1 MB after GC.
// Run: node --expose-gc bench/core.bench.mjs (after a build). Exits non-zero when a target is missed.
import { createTokenProvider } from '@m3ter-auth/core'
import { startMockM3ter } from '@m3ter-auth/testkit'

const m3ter = await startMockM3ter()
const key = m3ter.keys[0]
const auth = createTokenProvider({ credentials: key, tokenUrl: m3ter.tokenUrl, scope: [m3ter.apiUrl] })
let failed = false
const report = (ok, line) => {
  failed ||= !ok
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${line}`)
}

// 2. Cold start, 10,000 at once.
const tokens = await Promise.all(Array.from({ length: 10_000 }, () => auth.getToken()))
report(
  m3ter.stats.tokenRequests === 1 && tokens.every((t) => t === tokens[0]),
  `10,000 concurrent getToken() on a cold provider: ${m3ter.stats.tokenRequests} token request(s), ${tokens.length} resolved`,
)
const token = tokens[0]

// 1. Hot path against the baseline, interleaved rounds; the median ratio is the figure.
const CALLS = 200_000
async function timeIt(fn) {
  const started = performance.now()
  for (let i = 0; i < CALLS; i++) await fn()
  return performance.now() - started
}
const baseline = () => Promise.resolve(token)
const cached = () => auth.getToken()
for (let i = 0; i < 3; i++) {
  await timeIt(baseline)
  await timeIt(cached)
}
const ratios = []
for (let round = 0; round < 15; round++) {
  const first = round % 2 ? baseline : cached
  const a = await timeIt(first)
  const b = await timeIt(first === baseline ? cached : baseline)
  ratios.push(first === baseline ? b / a : a / b)
}
ratios.sort((a, b) => a - b)
const ratio = ratios[ratios.length >> 1]
report(
  ratio <= 3,
  `getToken() fresh vs await Promise.resolve(token): median ratio ${ratio.toFixed(2)} (target <= 3; rounds ${ratios[0].toFixed(2)}..${ratios.at(-1).toFixed(2)})`,
)

// 3. A million calls, heap after GC before and after.
if (typeof globalThis.gc !== 'function') {
  report(false, 'heap check needs node --expose-gc')
} else {
  globalThis.gc()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < 1_000_000; i++) await auth.getToken()
  globalThis.gc()
  const growth = process.memoryUsage().heapUsed - before
  report(
    growth < 1_048_576,
    `1,000,000 getToken(): heap growth after GC ${(growth / 1024).toFixed(1)} KiB (target < 1024 KiB)`,
  )
}

await auth.close()
await m3ter.close()
process.exitCode = failed ? 1 : 0
