import type { M3terAuthEvent } from '@m3ter-auth/core'
import type { ForeignServer, MockM3ter } from '@m3ter-auth/testkit'

/**
 * What the servers saw during one step: the evidence printed beside each claim.
 *
 * @example
 * ```ts
 * const revoked: Partial<Counters> = { rejections: 1, tokenRequests: 1, retries: 1 } // one refresh, one retry
 * ```
 */
export interface Counters {
  /** Requests that reached the API, ingest or foreign host (token requests not included). */
  readonly requests: number
  /** Bearers the API refused (403). */
  readonly rejections: number
  readonly tokenRequests: number
  /** API/ingest requests that repeat one that failed before: the adapter's retries. */
  readonly retries: number
  /** Bearers that reached a server outside the scope. Must stay 0. */
  readonly leaks: number
}

/**
 * Reads the counters from the mock and the foreign server: the servers' word, not the client's.
 *
 * @example
 * ```ts
 * const before = readCounters(m3ter, foreign)
 * await step.run(ctx)
 * const evidence = difference(readCounters(m3ter, foreign), before)
 * ```
 */
export function readCounters(m3ter: MockM3ter, foreign: ForeignServer): Counters {
  const hasBearer = (headers: Readonly<Record<string, string>>) =>
    /^bearer\s/i.test(headers.authorization ?? '')
  return {
    requests: m3ter.stats.apiRequests + foreign.requests.length,
    rejections: m3ter.stats.bearerRejections,
    tokenRequests: m3ter.stats.tokenRequests,
    retries: m3ter.stats.apiRetries,
    // The token endpoint is out of scope too: a bearer there would be as much a leak as one abroad.
    leaks:
      foreign.requests.filter((r) => hasBearer(r.headers)).length +
      m3ter.log.filter((e) => e.origin === 'token' && hasBearer(e.headers)).length,
  }
}

/**
 * What changed between two readings: the counts of one step.
 *
 * @example
 * ```ts
 * if (difference(readCounters(m3ter, foreign), before).tokenRequests !== 1) failures.push('expected one refresh')
 * ```
 */
export function difference(after: Counters, before: Counters): Counters {
  return {
    requests: after.requests - before.requests,
    rejections: after.rejections - before.rejections,
    tokenRequests: after.tokenRequests - before.tokenRequests,
    retries: after.retries - before.retries,
    leaks: after.leaks - before.leaks,
  }
}

type EventType = M3terAuthEvent['type']

/**
 * The provider's events, with a way to wait for the next one of some types.
 *
 * @example
 * ```ts
 * const fetched = events.next('token_fetched') // before the call that starts the refresh
 * await driver.send('GET', url)
 * await fetched
 * ```
 */
export interface EventLog {
  readonly onEvent: (event: M3terAuthEvent) => void
  /** Resolves with the next event of one of `types` emitted after this call. */
  next(...types: EventType[]): Promise<M3terAuthEvent>
}

/**
 * An empty event log; give its `onEvent` to the provider.
 *
 * @example
 * ```ts
 * const events = createEventLog()
 * const auth = createTokenProvider({ credentials: key, tokenUrl: m3ter.tokenUrl, onEvent: events.onEvent })
 * ```
 */
export function createEventLog(): EventLog {
  let waiters: { types: EventType[]; resolve: (event: M3terAuthEvent) => void }[] = []
  return {
    onEvent(event) {
      const matched = waiters.filter((w) => w.types.includes(event.type))
      waiters = waiters.filter((w) => !w.types.includes(event.type))
      for (const waiter of matched) waiter.resolve(event)
    },
    next: (...types) => new Promise((resolve) => waiters.push({ types, resolve })),
  }
}

/**
 * Waits for `promise`, or gives up after `ms` of real time. This is a watchdog, not a sleep: a step that
 * works never waits for it, and a step that is broken (a request stuck behind a held token request) ends
 * with a failure instead of hanging the run.
 *
 * @example
 * ```ts
 * if (!(await within(events.next('token_fetched'), 5_000)).ok) failures.push('the refresh never finished')
 * ```
 */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ ok: true; value: T } | { ok: false }> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<{ ok: false }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false }), ms)
  })
  try {
    return await Promise.race([promise.then((value) => ({ ok: true as const, value })), expired])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Whether `condition()` comes to hold within `ms` of real time, looking after each turn of the event loop (I/O
 * included): for a state that real I/O brings about, such as a token request reaching the mock. A watchdog
 * like {@link within}: a run that works stops looking as soon as the condition holds.
 *
 * @example
 * ```ts
 * if (!(await eventually(() => m3ter.faults.held() > 0, 5_000))) failures.push('no token request arrived')
 * ```
 */
export async function eventually(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms
  while (!condition()) {
    if (performance.now() > deadline) return false
    await new Promise((resolve) => setImmediate(resolve))
  }
  return true
}
