// The harness every adapter benchmark shares: a client with its m3ter-auth adapter
// against the same client without it, side by side in one process, over a loopback keep-alive server that
// answers a token endpoint and a meters page. The figure is the median of the per-round ratios
// (wrapped / bare requests per second); target >= 0.97. A bench file only builds its two clients.
//
// Rounds are many and short, and alternate which side goes first: throughput drifts on a shared machine, a
// pair run back to back sees the same conditions, and the median shrugs off the pairs a noisy neighbour
// spoiled. A ratio miss prints WARN and fails only with --strict, because ratios are noisy; a second token
// request is a behaviour bug, not noise, so it always fails.
//
// Env: BENCH_ROUNDS and BENCH_REQUESTS (per run) override each bench's defaults; BENCH_CONCURRENCY
// (default 16). Not named *.bench.mjs, so bench/run.mjs does not run it on its own.
import { createServer } from 'node:http'
import { createTokenProvider } from '@m3ter-auth/core'

const TARGET = 0.97
const TOKEN = 'bench-token'

const knob = (name, fallback) => {
  const raw = process.env[name]
  const value = raw === undefined ? fallback : Number(raw)
  // Zero rounds would print a NaN median as if it were a figure.
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`)
  return value
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * Starts the loopback server and a token provider scoped to it.
 * Returns what a bench needs to build its clients:
 * - `url`: the meters page both sides request;
 * - `auth`: the provider for the wrapped client;
 * - `bearer`: the Authorization value the provider will send, for a baseline that sets it by hand;
 * - `concurrency`: in-flight requests per side (for clients that size a pool to it);
 * - `compare(...)`: runs the rounds, prints the figures, shuts everything down and sets the exit code;
 * - `through(driver, headers)`: a side that sends its requests through a driver.
 */
export async function sideBySide() {
  let tokenRequests = 0
  // Requests to the API that came without our bearer: a wrapper that fetched a token but never sent it would
  // otherwise look fast. Both sides send it (the bare one by hand), so every request must carry it.
  let withoutBearer = 0
  // Content-length rather than chunked: the smallest framing, so the client's own work dominates.
  const page = JSON.stringify({ data: [{ id: 'm1', code: 'calls' }], nextToken: null })
  const server = createServer((req, res) => {
    if (req.url === '/oauth/token') {
      tokenRequests++
      req.resume()
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ token_type: 'Bearer', access_token: TOKEN, expires_in: 18000 }))
      })
      return
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) withoutBearer++
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(page) })
    res.end(page)
  })
  // Longer than a whole run, so no side ever pays for a reconnect the other did not.
  server.keepAliveTimeout = 60_000
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${server.address().port}`
  const url = `${origin}/organizations/org/meters`
  const concurrency = knob('BENCH_CONCURRENCY', 16)

  const auth = createTokenProvider({
    credentials: { accessKeyId: 'bench-key', apiSecret: 'bench-secret' },
    tokenUrl: `${origin}/oauth/token`,
    scope: [origin],
  })

  /**
   * `bare` and `wrapped` each send one request to `url` and consume the answer (failing on a non-200).
   * `rounds` and `requests` are this bench's defaults (env wins). `close` frees the bench's own resources
   * (e.g. agents) before the server goes down.
   */
  async function compare({ name, bare, wrapped, rounds: defaultRounds, requests: defaultRequests, close }) {
    const rounds = knob('BENCH_ROUNDS', defaultRounds)
    const requests = knob('BENCH_REQUESTS', defaultRequests)

    // CPU µs per request of each run, by side: the process's CPU (user + system) over the run, divided by
    // its requests. The server shares the process, but it does the same work for both sides, so wrapped
    // minus bare is the adapter's own cost, and CPU time does not count the waits a noisy neighbour causes.
    const cpu = new Map()
    // Requests per second of one side: `concurrency` workers draining a shared count.
    const run = async (send) => {
      let next = 0
      const worker = async () => {
        while (next++ < requests) await send()
      }
      const started = performance.now()
      const cpuBefore = process.cpuUsage()
      await Promise.all(Array.from({ length: concurrency }, worker))
      const used = process.cpuUsage(cpuBefore)
      const perRequest = (used.user + used.system) / requests
      cpu.set(send, [...(cpu.get(send) ?? []), perRequest])
      return requests / ((performance.now() - started) / 1000)
    }

    // Warm-up: JIT, sockets, and the one token request.
    await run(bare)
    await run(wrapped)
    cpu.clear()

    const ratios = []
    const bareRates = []
    const wrappedRates = []
    for (let round = 0; round < rounds; round++) {
      // Alternate which side goes first so neither always gets the warmer process.
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

    await close?.()
    await auth.close()
    server.closeAllConnections()
    server.close()

    const ratio = median(ratios)
    const bareCpu = median(cpu.get(bare))
    const wrappedCpu = median(cpu.get(wrapped))
    console.log(
      JSON.stringify({
        bench: name,
        node: process.version,
        rounds,
        requestsPerRun: requests,
        concurrency,
        bareRps: Math.round(median(bareRates)),
        wrappedRps: Math.round(median(wrappedRates)),
        medianRatio: Number(ratio.toFixed(4)),
        // Median CPU µs per request of each side, and their difference: the adapter's own per-request cost.
        cpuUsPerRequest: {
          bare: Number(bareCpu.toFixed(1)),
          wrapped: Number(wrappedCpu.toFixed(1)),
          over: Number((wrappedCpu - bareCpu).toFixed(1)),
        },
        target: TARGET,
        tokenRequests,
        withoutBearer,
        // The ratio is a figure to read, not a check: these machines are shared and noisy (--strict makes
        // it one). The token requests and the bearer on every request are behaviour: they fail the run.
        ratioIs: process.argv.includes('--strict') ? 'checked' : 'informational',
      }),
    )
    if (withoutBearer !== 0) {
      console.error(`FAIL: ${withoutBearer} requests reached the API without the bearer`)
      process.exitCode = 1
    }
    if (tokenRequests !== 1) {
      console.error(`FAIL: ${tokenRequests} token requests; expected exactly 1 while the token is fresh`)
      process.exitCode = 1
    }
    if (ratio < TARGET) {
      const strict = process.argv.includes('--strict')
      console.error(
        `${strict ? 'FAIL' : 'WARN (informational, not a check)'}: median ratio ${ratio.toFixed(4)} < ${TARGET}`,
      )
      if (strict) process.exitCode = 1
    }
  }

  /**
   * One side's request through a driver of the adapters' shared drivers (@m3ter-auth/drivers, the ones the
   * conformance and reliability suites use): a GET of `url` with `headers`, read to the end, failing on a
   * non-200. Both sides go through the same driver code, so the ratio is still the adapter's own cost.
   */
  const through = (driver, headers) => async () => {
    const res = await driver.request({ method: 'GET', url, ...(headers ? { headers } : {}) })
    if (res.status !== 200) throw new Error(`unexpected status ${res.status}`)
  }

  return { url, auth, bearer: `Bearer ${TOKEN}`, concurrency, compare, through }
}
