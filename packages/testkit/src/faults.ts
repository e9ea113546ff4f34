/**
 * The three origins of the mock; a fault targets one of them.
 *
 * @example
 * ```ts
 * for (const endpoint of ['api', 'ingest'] satisfies Endpoint[]) m3ter.faults.inject(endpoint, { kind: 'drop' })
 * ```
 */
export type Endpoint = 'token' | 'api' | 'ingest'

/**
 * 30x statuses a redirect fault may use.
 *
 * @example
 * ```ts
 * it.each([301, 302, 303, 307, 308] satisfies RedirectStatus[])('no bearer follows a %d', async (status) => {
 *   m3ter.faults.inject('api', { kind: 'redirect', location: `${foreign.url}/landing`, status })
 * })
 * ```
 */
export type RedirectStatus = 301 | 302 | 303 | 307 | 308

/**
 * Faults every endpoint can show.
 *
 * @example
 * ```ts
 * const outage: Fault = { kind: 'status', status: 503, retryAfter: 30 }
 * m3ter.faults.inject('token', outage, { times: Infinity })
 * ```
 */
export type Fault =
  /** Answers `status` with m3ter's `{"message"}` body (or `body` verbatim); `retryAfter` sets Retry-After (seconds, or an HTTP-date string). */
  | {
      readonly kind: 'status'
      readonly status: number
      readonly retryAfter?: string | number
      readonly body?: string
      readonly headers?: Record<string, string>
    }
  /** Never answers; the socket stays open until the client gives up or the mock is reset or closed. */
  | { readonly kind: 'hang' }
  /** Waits for `m3ter.faults.release()` and then answers normally: a slow answer the test controls. */
  | { readonly kind: 'hold' }
  /** Destroys the socket without an answer (a network error on the client side). */
  | { readonly kind: 'drop' }
  /** Answers normally after `delayMs` of real time (keep it small; it is real waiting). */
  | { readonly kind: 'slow'; readonly delayMs: number }
  /** An HTML error page, as a proxy or load balancer sends; status 200 unless given. */
  | { readonly kind: 'html'; readonly status?: number }
  /** A body that is not JSON although it says `application/json`; status 200 unless given. */
  | { readonly kind: 'non-json'; readonly status?: number }
  /** A 200 JSON body larger than 64 KiB (`bytes`, default 70 000). */
  | { readonly kind: 'oversize'; readonly bytes?: number }
  /** A redirect to `location` (the foreign server, say) with `status` (default 302). */
  | { readonly kind: 'redirect'; readonly location: string; readonly status?: RedirectStatus }

/**
 * Faults that only make sense on the token endpoint: answers that look like tokens but are not right.
 *
 * @example
 * ```ts
 * m3ter.faults.inject('token', { kind: 'expires-in', expiresIn: -1 })
 * await expect(auth.getToken()).rejects.toMatchObject({ code: 'invalid_token_response' })
 * ```
 */
export type TokenFault =
  /** A 200 JSON answer without `access_token`. */
  | { readonly kind: 'missing-access-token' }
  /** A token answer whose `token_type` is `tokenType` (default `'mac'`). */
  | { readonly kind: 'token-type'; readonly tokenType?: string }
  /** A token answer whose `expires_in` is the given value (0, -1, 1e12, '18000'...) or absent for `'missing'`. */
  | { readonly kind: 'expires-in'; readonly expiresIn: unknown }
  /** A well-formed token answer whose token the API will reject (bad signature): tokens that never work. */
  | { readonly kind: 'rejected-token' }

/**
 * Any fault; token-only kinds are refused for the api and ingest endpoints.
 *
 * @example
 * ```ts
 * const malformed: AnyFault[] = [{ kind: 'html' }, { kind: 'missing-access-token' }, { kind: 'token-type' }]
 * ```
 */
export type AnyFault = Fault | TokenFault

/**
 * Kinds of {@link AnyFault}.
 *
 * @example
 * ```ts
 * const fired = m3ter.faults.active().map((f): FaultKind => f.fault.kind)
 * ```
 */
export type FaultKind = AnyFault['kind']

/**
 * How long a fault lasts: the next `times` requests (default 1), or every request until clock time `until`.
 *
 * @example
 * ```ts
 * m3ter.faults.inject('token', { kind: 'drop' }, { until: clock.now() + 10 * 60_000 }) // a ten-minute outage
 * ```
 */
export interface FaultWindow {
  /** Number of requests the fault answers; `Infinity` for all. Default 1, or unlimited when `until` is given. */
  readonly times?: number
  /** Mock clock instant (ms) from which the fault no longer applies. */
  readonly until?: number
}

/**
 * A fault once injected: how often it fired, and a way to withdraw it early.
 *
 * @example
 * ```ts
 * const outage = m3ter.faults.inject('token', { kind: 'status', status: 503 }, { times: Infinity })
 * // ... a minute of traffic on the manual clock ...
 * expect(outage.hits).toBeLessThan(10) // backoff: a handful of token requests, not one per call
 * outage.cancel()
 * ```
 */
export interface InjectedFault {
  readonly endpoint: Endpoint
  readonly fault: AnyFault
  /** Requests this fault has answered so far. */
  readonly hits: number
  /** Requests it will still answer (Infinity while bounded only by time). */
  readonly remaining: number
  cancel(): void
}

const TOKEN_ONLY = new Set<FaultKind>(['missing-access-token', 'token-type', 'expires-in', 'rejected-token'])

interface Slot {
  readonly endpoint: Endpoint
  readonly fault: AnyFault
  remaining: number
  hits: number
  readonly until: number | undefined
}

/**
 * Fault injection per endpoint. Faults queue: the oldest live fault for an endpoint answers the next request.
 *
 * @example
 * ```ts
 * m3ter.faults.inject('token', { kind: 'status', status: 503, retryAfter: '2' }, { times: 3 })
 * m3ter.faults.inject('api', { kind: 'redirect', location: `${foreign.url}/landing`, status: 307 })
 * m3ter.faults.inject('ingest', { kind: 'drop' }, { until: clock.now() + 60_000 })
 * m3ter.faults.clear()
 * ```
 */
export interface FaultController {
  inject(endpoint: 'token', fault: AnyFault, window?: FaultWindow): InjectedFault
  inject(endpoint: 'api' | 'ingest', fault: Fault, window?: FaultWindow): InjectedFault
  /** Withdraws every fault (held requests are released and answered normally). */
  clear(): void
  /** Lets every request held by a `hold` fault go on to its normal answer. */
  release(): void
  /** Requests currently held by a `hold` fault. */
  held(): number
  /** Faults still live, oldest first. */
  active(): readonly InjectedFault[]
}

/**
 * The controller plus the server-side hooks the mock uses; not part of the public surface.
 *
 * @example
 * ```ts
 * const fault = state.faults.take('token') // the oldest live fault answers this request, if any
 * ```
 */
export interface FaultRegistry extends FaultController {
  take(endpoint: Endpoint): AnyFault | undefined
  hold(): Promise<void>
}

/**
 * A fault registry whose time windows run on `now` (the mock's clock).
 *
 * @example
 * ```ts
 * const faults = createFaultRegistry(() => clock.now())
 * faults.inject('api', { kind: 'drop' }, { times: 2 })
 * ```
 */
export function createFaultRegistry(now: () => number): FaultRegistry {
  let slots: Slot[] = []
  let waiters: Array<() => void> = []

  const live = (slot: Slot) => slot.remaining > 0 && (slot.until === undefined || now() < slot.until)

  const view = (slot: Slot): InjectedFault => ({
    endpoint: slot.endpoint,
    fault: slot.fault,
    get hits() {
      return slot.hits
    },
    get remaining() {
      return live(slot) ? slot.remaining : 0
    },
    cancel() {
      slot.remaining = 0
    },
  })

  const release = () => {
    const ready = waiters
    waiters = []
    for (const wake of ready) wake()
  }

  return {
    inject(endpoint: Endpoint, fault: AnyFault, window: FaultWindow = {}): InjectedFault {
      if (endpoint !== 'token' && TOKEN_ONLY.has(fault.kind))
        throw new Error(`fault '${fault.kind}' only applies to the token endpoint`)
      const times = window.times ?? (window.until === undefined ? 1 : Number.POSITIVE_INFINITY)
      if (!(times > 0)) throw new Error('fault window: times must be positive')
      const slot: Slot = { endpoint, fault, remaining: times, hits: 0, until: window.until }
      slots.push(slot)
      return view(slot)
    },
    clear() {
      for (const slot of slots) slot.remaining = 0
      slots = []
      release()
    },
    release,
    held: () => waiters.length,
    active: () => slots.filter(live).map(view),
    take(endpoint) {
      slots = slots.filter(live)
      const slot = slots.find((candidate) => candidate.endpoint === endpoint)
      if (!slot) return undefined
      slot.remaining -= 1
      slot.hits += 1
      return slot.fault
    },
    hold: () => new Promise<void>((resolve) => waiters.push(resolve)),
  }
}
