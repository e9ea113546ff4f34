// The one workload every contender goes through, against the testkit's mock m3ter on its manual clock.
// Each phase starts a fresh mock and a fresh contender, so no phase inherits another's token or failures.
//
// Time: the mock issues and checks tokens by its manual clock, and the bench moves that clock. m3ter-auth is
// given the clock (its `clock` option). The peers and baselines cannot take one: they read Date.now(), which
// this process pins to the same manual clock for the whole run (see `pinDateNow`). Timers and I/O stay real:
// the token endpoint answers after a real 20 ms, latencies are real milliseconds.
import { performance } from 'node:perf_hooks'
import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'

const MINUTE = 60_000

/** What every contender goes through; printed with the results so the figures say what they count. */
export const WORKLOAD = {
  tokenLifetimeSeconds: 18_000,
  tokenLatencyMs: 20,
  cold: { calls: 100 },
  steady: { lifetimes: 3, everySeconds: 150, concurrent: 4 },
  revocation: { inFlight: 20, after: 20 },
  outage: {
    // Relative to the expiry of the token the warm-up call obtained.
    fromMinutes: -25,
    downMinutes: -20,
    upMinutes: -3,
    toMinutes: 10,
    everySeconds: 30,
    concurrent: 2,
    plain503: 2,
    retryAfterSeconds: 60,
  },
  // The token endpoint down (plain 503) from before the refresh windows open until after the token expired.
  outageAcrossExpiry: {
    // Relative to the expiry of the token the warm-up call obtained.
    fromMinutes: -20,
    downMinutes: -15,
    upMinutes: 5,
    toMinutes: 15,
    everySeconds: 30,
    concurrent: 2,
  },
  // A cold start on a token endpoint that rate-limits: 429 with a fixed Retry-After (as gateways often send),
  // while the limit itself lifts sooner. Whoever honours Retry-After waits it out; whoever ignores it asks again.
  rateLimit: {
    limitedSeconds: 20,
    retryAfterSeconds: 60,
    everySeconds: 5,
    forSeconds: 120,
    concurrent: 2,
  },
  secrets: { calls: 5 },
  probes: { calls: 3 },
}

/** Keys whose characters survive form-url-encoding unchanged, and one whose secret does not. */
export const KEYS = {
  plain: { accessKeyId: 'AK3f9c2b7e41d84a6f8c0e5d9b2a7c1f04', apiSecret: 'Zq8Lx2Vn7Rt4Wm1Yp6Hs3Jk9Bd5Fg0Cu' },
  encoded: { accessKeyId: 'AK7b1e4d9c26f0483a9e5c1d7b3f8a2e60', apiSecret: 'q8Z/3xT+Vb1/mK7+Rw2e9Lp4Nc6=' },
}

// A call may wait on a retry timer of the manual clock; nothing in the bench waits longer than this in real time.
const SETTLE_LIMIT_MS = 30_000

const realDateNow = Date.now
let pinnedClock

/** From now on Date.now() reads the given manual clock (undefined: real time again). */
export function pinDateNow(clock) {
  pinnedClock = clock
  Date.now = clock ? () => pinnedClock.now() : realDateNow
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs the workload for one contender. `create(env)` builds it: `{ call(url) -> status, snapshot?, close }`.
 * Returns per phase the calls made and the mock's evidence, plus the thrown errors kept for the leak scan.
 */
export async function runWorkload(create) {
  const phases = {}
  const evidence = { errors: [], thrown: 0, basics: new Set(), tokens: new Set() }

  // One fresh mock + contender; `body(p)` drives it. Returns the phase record.
  async function phase(name, key, body) {
    const clock = createManualClock()
    pinDateNow(clock)
    const m3ter = await startMockM3ter({
      keys: [key],
      clock,
      tokenLifetimeSeconds: WORKLOAD.tokenLifetimeSeconds,
    })
    const instance = await create({ key, tokenUrl: m3ter.tokenUrl, apiUrl: m3ter.apiUrl, clock })
    const calls = []
    let nextId = 0

    const tokenLatency = () =>
      m3ter.faults.inject('token', { kind: 'slow', delayMs: WORKLOAD.tokenLatencyMs }, { times: Infinity })

    const startCall = (tag) => {
      const id = nextId++
      const record = { id, tag, at: clock.now(), issuedBefore: m3ter.issuedTokens.length, done: false }
      calls.push(record)
      const url = `${m3ter.apiUrl}/organizations/${m3ter.orgId}/meters?pageSize=1&call=${id}`
      const started = performance.now()
      record.promise = (async () => {
        try {
          record.status = await instance.call(url)
          record.ok = record.status >= 200 && record.status < 300
        } catch (error) {
          record.ok = false
          record.error = error
        }
        record.ms = performance.now() - started
        record.done = true
      })()
      return record
    }

    // Lets the calls finish. m3ter-auth may be waiting on a retry timer of the manual clock: only when its
    // provider says so (status 'backoff', nothing in flight) does the clock jump to that timer, so no
    // per-attempt timeout is ever fired by the bench while an answer is on its way.
    const settle = async (records) => {
      const started = performance.now()
      const all = Promise.all(records.map((r) => r.promise))
      while (records.some((r) => !r.done)) {
        await Promise.race([all, sleep(20)])
        if (records.every((r) => r.done)) break
        const due = clock.nextDue()
        if (instance.snapshot?.().status === 'backoff' && due !== undefined) await clock.advanceTo(due)
        if (performance.now() - started > SETTLE_LIMIT_MS) break
      }
      for (const r of records)
        if (!r.done) {
          r.ok = false
          r.hung = true
        }
    }

    const burst = async (n, tag) => {
      const records = Array.from({ length: n }, () => startCall(tag))
      await settle(records)
      return records
    }

    // Mock time moves only when nothing is on the wire: a 20 ms token request must not see minutes pass (a
    // background refresh may still be running after the calls that started it were served).
    let scanned = 0
    const quiesce = async () => {
      const started = performance.now()
      for (;;) {
        const log = m3ter.log
        while (scanned < log.length && log[scanned].status !== 0) scanned++
        const busy = log.slice(scanned).some((e) => e.status === 0)
        const status = instance.snapshot?.().status
        if (!busy && status !== 'refreshing' && status !== 'fetching') return
        if (performance.now() - started > SETTLE_LIMIT_MS) return
        await sleep(1)
      }
    }
    const advance = async (ms) => {
      await quiesce()
      await clock.advance(ms)
    }
    const advanceTo = async (at) => {
      await quiesce()
      await clock.advanceTo(at)
    }

    const p = { m3ter, clock, instance, burst, startCall, settle, tokenLatency, advance, advanceTo }
    try {
      tokenLatency()
      await body(p)
    } finally {
      m3ter.faults.clear()
      await Promise.race([Promise.resolve(instance.close()).catch(() => {}), sleep(5_000)])
      phases[name] = summarize(name, m3ter, calls, evidence)
      await m3ter.close()
      pinDateNow(undefined)
    }
  }

  await phase('cold', KEYS.plain, async ({ burst }) => {
    await burst(WORKLOAD.cold.calls, 'cold')
  })

  await phase('steady', KEYS.plain, async ({ burst, advance }) => {
    const { lifetimes, everySeconds, concurrent } = WORKLOAD.steady
    const ticks = (lifetimes * WORKLOAD.tokenLifetimeSeconds) / everySeconds
    for (let i = 0; i < ticks; i++) {
      await burst(concurrent, 'steady')
      await advance(everySeconds * 1000)
    }
  })

  await phase('revocation', KEYS.plain, async ({ m3ter, advance, burst, startCall, settle }) => {
    const { inFlight, after } = WORKLOAD.revocation
    await burst(1, 'warm-up')
    await advance(MINUTE)
    // The next `inFlight` API requests are held at the mock: revoked while they are on the wire.
    m3ter.faults.inject('api', { kind: 'hold' }, { times: inFlight })
    const held = Array.from({ length: inFlight }, () => startCall('in flight'))
    const waitStarted = performance.now()
    while (m3ter.faults.held() < inFlight && held.some((r) => !r.done)) {
      if (performance.now() - waitStarted > SETTLE_LIMIT_MS) break
      await sleep(2)
    }
    m3ter.revokeAll()
    m3ter.faults.release()
    await settle(held)
    await advance(MINUTE)
    await burst(after, 'after')
  })

  await phase('outage', KEYS.plain, async ({ m3ter, advanceTo, burst }) => {
    const o = WORKLOAD.outage
    const [warm] = await burst(1, 'warm-up')
    const expiry = warm.at + WORKLOAD.tokenLifetimeSeconds * 1000
    const down = expiry + o.downMinutes * MINUTE
    const up = expiry + o.upMinutes * MINUTE
    for (
      let at = expiry + o.fromMinutes * MINUTE;
      at <= expiry + o.toMinutes * MINUTE;
      at += o.everySeconds * 1000
    ) {
      if (at >= down && at - o.everySeconds * 1000 < down) {
        m3ter.faults.clear()
        m3ter.faults.inject('token', { kind: 'status', status: 503 }, { times: o.plain503, until: up })
        m3ter.faults.inject(
          'token',
          { kind: 'status', status: 503, retryAfter: String(o.retryAfterSeconds) },
          { until: up },
        )
      }
      await advanceTo(at)
      await burst(o.concurrent, at < down ? 'before' : at < up ? 'during' : 'after')
    }
  })

  await phase('outage-expiry', KEYS.plain, async ({ m3ter, clock, advanceTo, burst, tokenLatency }) => {
    const o = WORKLOAD.outageAcrossExpiry
    const [warm] = await burst(1, 'warm-up')
    const expiry = warm.at + WORKLOAD.tokenLifetimeSeconds * 1000
    const down = expiry + o.downMinutes * MINUTE
    const up = expiry + o.upMinutes * MINUTE
    const tag = (at) => {
      if (at < down) return 'before'
      if (at >= up) return 'after'
      return at < expiry ? 'down, valid' : 'down, expired'
    }
    for (
      let at = expiry + o.fromMinutes * MINUTE;
      at <= expiry + o.toMinutes * MINUTE;
      at += o.everySeconds * 1000
    ) {
      if (at >= down && at - o.everySeconds * 1000 < down) {
        // Faults queue oldest first: the outage answers until `up`, the usual latency after it.
        m3ter.faults.clear()
        m3ter.faults.inject('token', { kind: 'status', status: 503 }, { until: up })
        tokenLatency()
      }
      await advanceTo(at)
      await burst(o.concurrent, tag(clock.now()))
    }
  })

  await phase('rate-limit', KEYS.plain, async ({ m3ter, clock, advanceTo, burst, tokenLatency }) => {
    const r = WORKLOAD.rateLimit
    const start = clock.now()
    const lifted = start + r.limitedSeconds * 1000
    m3ter.faults.clear()
    m3ter.faults.inject(
      'token',
      { kind: 'status', status: 429, retryAfter: String(r.retryAfterSeconds) },
      { until: lifted },
    )
    tokenLatency()
    for (let at = start; at <= start + r.forSeconds * 1000; at += r.everySeconds * 1000) {
      await advanceTo(at)
      await burst(r.concurrent, clock.now() < lifted ? 'limited' : 'after')
    }
  })

  for (const [name, key] of Object.entries(KEYS))
    await phase(`secret-${name}`, key, async ({ burst }) => {
      await burst(WORKLOAD.secrets.calls, name)
    })

  // Failures on purpose, so every contender throws something the leak scan can read.
  await phase('probe-endpoint-down', KEYS.encoded, async ({ m3ter, burst }) => {
    m3ter.faults.clear()
    m3ter.faults.inject('token', { kind: 'status', status: 503 }, { times: Infinity })
    await burst(WORKLOAD.probes.calls, 'token endpoint 503')
  })
  await phase('probe-key-inactive', KEYS.encoded, async ({ m3ter, burst }) => {
    m3ter.deactivateKey(KEYS.encoded.accessKeyId)
    await burst(WORKLOAD.probes.calls, 'key inactive')
  })
  await phase('probe-api-403', KEYS.plain, async ({ m3ter, burst }) => {
    await burst(1, 'warm-up')
    m3ter.faults.inject('api', { kind: 'status', status: 403 }, { times: Infinity })
    await burst(WORKLOAD.probes.calls, 'api 403')
  })

  return { phases, evidence }
}

// Errors of one phase look alike: the leak scan reads the first and last few of each.
const ERRORS_KEPT_PER_PHASE = 10

/** Figures of one phase from the mock's own log; keeps some thrown errors and what they must not contain. */
function summarize(name, m3ter, calls, evidence) {
  const tokenEntries = m3ter.log.filter((e) => e.origin === 'token' && e.url.split('?')[0] === '/oauth/token')
  const apiEntries = m3ter.log.filter((e) => e.origin === 'api')
  for (const e of tokenEntries) {
    const basic = /^basic\s+(\S+)/i.exec(e.headers.authorization ?? '')?.[1]
    if (basic) evidence.basics.add(basic)
  }
  const issuedIndex = new Map()
  m3ter.issuedTokens.forEach((token, index) => {
    issuedIndex.set(token, index)
    evidence.tokens.add(token)
  })
  // The last API request of each call: the bearer it finally sent tells whether it waited.
  const lastByCall = new Map()
  for (const e of apiEntries) {
    const id = new URL(e.url, 'http://x').searchParams.get('call')
    if (id !== null) lastByCall.set(Number(id), e)
  }
  const failedErrors = calls.filter((c) => c.error !== undefined)
  evidence.thrown += failedErrors.length
  const keep =
    failedErrors.length > 2 * ERRORS_KEPT_PER_PHASE
      ? [...failedErrors.slice(0, ERRORS_KEPT_PER_PHASE), ...failedErrors.slice(-ERRORS_KEPT_PER_PHASE)]
      : failedErrors
  for (const c of keep) evidence.errors.push({ phase: name, error: c.error })

  const byTag = {}
  for (const c of calls) {
    const last = lastByCall.get(c.id)
    const bearer = /^bearer\s+(\S+)/i.exec(last?.headers.authorization ?? '')?.[1]
    const index = bearer === undefined ? -1 : (issuedIndex.get(bearer) ?? -1)
    c.waited = index >= c.issuedBefore
    byTag[c.tag] ??= { calls: 0, failed: 0, waited: 0, hung: 0 }
    const t = byTag[c.tag]
    t.calls++
    if (!c.ok) t.failed++
    if (c.waited) t.waited++
    if (c.hung) t.hung++
  }
  const failures = {}
  for (const c of calls.filter((c) => !c.ok)) {
    const reason = c.hung
      ? 'hung'
      : c.error !== undefined
        ? `${c.error?.constructor?.name ?? typeof c.error}${c.error?.code ? ` ${c.error.code}` : ''}`
        : `status ${c.status}`
    failures[reason] = (failures[reason] ?? 0) + 1
  }
  return {
    calls: calls.length,
    failed: calls.filter((c) => !c.ok).length,
    waited: calls.filter((c) => c.waited).length,
    tokenRequests: tokenEntries.length,
    apiRequests: apiEntries.length,
    byTag,
    failures,
    // Calls the bench itself held at the mock (the revocation's in-flight ones) say nothing about latency.
    latenciesMs: calls.filter((c) => c.ms !== undefined && c.tag !== 'in flight').map((c) => c.ms),
  }
}
