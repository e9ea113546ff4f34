// The harness every adapter benchmark shares: a client with its m3ter-auth adapter against the same client
// without it, side by side in one process, over a loopback keep-alive server in ANOTHER process
// (./loopback-server.mjs) that answers a token endpoint and a meters page. A bench file only builds its two
// clients.
//
// The figure is CPU µs per request of this (the client) process, bare and wrapped, and their difference:
// the adapter's own cost. The server runs elsewhere, so `process.cpuUsage()` counts the client alone, and
// CPU time does not count the waits a noisy neighbour causes. To see a 3 % difference (about 2 µs on axios):
// - a warm-up of thousands of requests per side, so the JIT has settled before anything is counted;
// - a forced GC before every run (bench/run.mjs passes --expose-gc), so no side pays for the garbage the
//   other left, and runs of thousands of requests, so the collections a run's own garbage causes are a
//   steady per-request cost rather than one pause that lands in one run;
// - rounds alternate which side goes first; the difference is the median of the per-round differences
//   (a pair run back to back sees the same machine), and bare and wrapped are each side's median.
// The throughput ratio (wrapped / bare requests per second) is printed beside it, informational: on a
// shared machine it moves with the neighbours (--strict makes it a check, target >= 0.97).
// A token request beyond the first, or a request the server saw without the bearer, is a behaviour bug,
// not noise: it always fails the run.
//
// Env: BENCH_ROUNDS, BENCH_REQUESTS (per run) and BENCH_WARMUP (per side) override the defaults (31,
// 2000, 5000); BENCH_CONCURRENCY (default 16). Not named *.bench.mjs, so bench/run.mjs does not run it.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { hostname, loadavg } from 'node:os'
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

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

// `count` requests sent by `concurrency` workers that drain one shared count.
async function drain(send, count, concurrency) {
  let next = 0
  const worker = async () => {
    while (next++ < count) await send()
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

// The value a fraction `q` of the way through the sorted values (nearest rank).
const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.round(q * (values.length - 1))]

const round1 = (value) => Number(value.toFixed(1))

// The server process, and a way to ask it for its counts.
async function startServer() {
  const child = fork(new URL('./loopback-server.mjs', import.meta.url), [TOKEN], { stdio: 'inherit' })
  const [{ port }] = await once(child, 'message')
  const counts = async () => {
    const answer = once(child, 'message')
    child.send('counts')
    return (await answer)[0]
  }
  const close = async () => {
    const exited = once(child, 'exit')
    child.send('close')
    await exited
  }
  return { origin: `http://127.0.0.1:${port}`, counts, close }
}

/**
 * Starts the loopback server (in its own process) and a token provider scoped to it.
 * Returns what a bench needs to build its clients:
 * - `url`: the meters page both sides request;
 * - `auth`: the provider for the wrapped client;
 * - `bearer`: the Authorization value the provider will send, for a baseline that sets it by hand;
 * - `concurrency`: in-flight requests per side (for clients that size a pool to it);
 * - `compare(...)`: warms up, runs the rounds, prints the figures, shuts everything down and sets the exit
 *   code;
 * - `through(driver, headers)`: a side that sends its requests through a driver.
 */
export async function sideBySide() {
  const server = await startServer()
  const url = `${server.origin}/organizations/org/meters`
  const concurrency = knob('BENCH_CONCURRENCY', 16)

  const auth = createTokenProvider({
    credentials: { accessKeyId: 'bench-key', apiSecret: 'bench-secret' },
    tokenUrl: `${server.origin}/oauth/token`,
    scope: [server.origin],
  })

  /**
   * `bare` and `wrapped` each send one request to `url` and consume the answer (failing on a non-200).
   * `rounds` and `requests` override the harness's defaults (env wins). `close` frees the bench's own
   * resources (e.g. agents) before the server goes down.
   */
  async function compare({ name, bare, wrapped, rounds: defaultRounds, requests: defaultRequests, close }) {
    const oneSide = process.env.BENCH_ONE_SIDE
    if (oneSide !== undefined)
      return countOneSide({ name, side: oneSide, send: { bare, wrapped }[oneSide], close })
    const rounds = knob('BENCH_ROUNDS', defaultRounds ?? 31)
    const requests = knob('BENCH_REQUESTS', defaultRequests ?? 2000)
    const warmup = knob('BENCH_WARMUP', 5000)

    // One run of `count` requests by `concurrency` workers draining a shared count: its CPU µs per request
    // (user + system of this process) and its requests per second.
    const run = async (send, count) => {
      globalThis.gc?.()
      const started = performance.now()
      const cpuBefore = process.cpuUsage()
      await drain(send, count, concurrency)
      const used = process.cpuUsage(cpuBefore)
      return {
        cpu: (used.user + used.system) / count,
        user: used.user / count,
        rate: count / ((performance.now() - started) / 1000),
      }
    }

    // Warm-up: JIT, sockets and the one token request; in halves, alternated, so both sides' code is hot
    // together (one side's later compilation would otherwise land in the other's first rounds).
    for (let half = 0; half < 2; half++) {
      await run(bare, Math.ceil(warmup / 2))
      await run(wrapped, Math.ceil(warmup / 2))
    }

    const bareRuns = []
    const wrappedRuns = []
    for (let round = 0; round < rounds; round++) {
      // Alternate which side goes first so neither always gets the warmer process.
      if (round % 2 === 0) {
        bareRuns.push(await run(bare, requests))
        wrappedRuns.push(await run(wrapped, requests))
      } else {
        wrappedRuns.push(await run(wrapped, requests))
        bareRuns.push(await run(bare, requests))
      }
    }

    await close?.()
    await auth.close()
    const { tokenRequests, withoutBearer } = await server.counts()
    await server.close()

    const ratio = median(wrappedRuns.map((w, i) => w.rate / bareRuns[i].rate))
    const bareCpu = median(bareRuns.map((r) => r.cpu))
    const wrappedCpu = median(wrappedRuns.map((r) => r.cpu))
    const overs = wrappedRuns.map((w, i) => w.cpu - bareRuns[i].cpu)
    const overCpu = median(overs)
    // User time alone: the adapter's JavaScript. System time (socket writes, which on loopback include the
    // kernel's delivery to the server) is the same work for both sides and most of the noise.
    const userOver = median(wrappedRuns.map((w, i) => w.user - bareRuns[i].user))
    console.log(
      JSON.stringify({
        bench: name,
        node: process.version,
        rounds,
        requestsPerRun: requests,
        warmupPerSide: warmup,
        concurrency,
        // CPU µs per request of the client process: each side's median, and the median of the per-round
        // differences (the adapter's own per-request cost).
        cpuUsPerRequest: { bare: round1(bareCpu), wrapped: round1(wrappedCpu), over: round1(overCpu) },
        // The middle half of the per-round differences: how far one round's figure can be trusted.
        overQuartiles: [round1(quantile(overs, 0.25)), round1(quantile(overs, 0.75))],
        userUsOver: round1(userOver),
        bareRps: Math.round(median(bareRuns.map((r) => r.rate))),
        wrappedRps: Math.round(median(wrappedRuns.map((r) => r.rate))),
        medianRatio: Number(ratio.toFixed(4)),
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
   * ./instructions.mjs's mode (env BENCH_ONE_SIDE=bare|wrapped, under callgrind): one side alone, a warm-up of
   * BENCH_WARMUP requests, then BENCH_REQUESTS requests between two marks callgrind dumps its counters at
   * (--dump-before=uv_loadavg, --dump-before=uv_os_gethostname): os.loadavg() ends the startup and warm-up's
   * dump, os.hostname() the measured requests' one. Neither is called on a request's path, so that second dump
   * holds the measured requests alone, with nothing to subtract (a --zero-before mark did not fire reliably).
   * Prints the side's behaviour counts as a line of JSON; the instructions come from callgrind's dump.
   */
  async function countOneSide({ name, side, send, close }) {
    if (send === undefined) throw new Error(`BENCH_ONE_SIDE must be bare or wrapped, got ${side}`)
    const requests = knob('BENCH_REQUESTS', 2000)
    const warmup = knob('BENCH_WARMUP', 5000)
    await drain(send, warmup, concurrency)
    // Both sides start the measured requests from the same empty young generation.
    globalThis.gc?.()
    loadavg()
    await drain(send, requests, concurrency)
    hostname()
    await close?.()
    await auth.close()
    const { tokenRequests, withoutBearer } = await server.counts()
    await server.close()
    console.log(
      JSON.stringify({ bench: name, side, warmup, requests, concurrency, tokenRequests, withoutBearer }),
    )
    // The wrapped side asks for one token; the bare one sends its bearer by hand (a control asks for the
    // one token itself, for both sides).
    if (withoutBearer !== 0 || tokenRequests > 1 || (side === 'wrapped' && tokenRequests !== 1)) {
      console.error(`FAIL: ${withoutBearer} requests without the bearer, ${tokenRequests} token requests`)
      process.exitCode = 1
    }
  }

  /**
   * One side's request through a driver of the adapters' shared drivers (@m3ter-auth/drivers, the ones the
   * conformance and reliability suites use): a GET of `url` with `headers`, read to the end, failing on a
   * non-200. Both sides go through the same driver code, so the difference is still the adapter's own cost.
   */
  const through = (driver, headers) => async () => {
    const res = await driver.request({ method: 'GET', url, ...(headers ? { headers } : {}) })
    if (res.status !== 200) throw new Error(`unexpected status ${res.status}`)
  }

  return { url, auth, bearer: `Bearer ${TOKEN}`, concurrency, compare, through }
}
