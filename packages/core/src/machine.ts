import { backoffDelay, type RetryPolicy } from './backoff-policy.ts'
import { M3terAuthError } from './errors.ts'
import type { TokenFailure } from './token-endpoint.ts'
import type { M3terAuthEvent, RefreshReason, StoredToken, TokenStatus } from './types.ts'

/**
 * The token state machine: a pure function of (state, event, now). It decides; the provider performs
 * the effects it asks for (start a request, set a timer, settle waiters, emit events). Keeping I/O out
 * makes every transition testable with plain values and a model-based test.
 *
 * @example
 * ```ts
 * state.token?.generation
 * ```
 */
export interface CurrentToken extends StoredToken {
  readonly generation: number
  /** Monotonic minus wall time when it arrived: lets a wall clock stepped back be seen through. */
  readonly offset: number
}

/**
 * @example
 * ```ts
 * let state: MachineState = initialState(1)
 * ```
 */
export interface MachineState {
  readonly closed: boolean
  readonly token: CurrentToken | undefined
  readonly generation: number
  readonly keyIndex: number
  readonly keyCount: number
  /** Id of the latest request started; answers to older ones are ignored. */
  readonly fetchId: number
  readonly inFlight: boolean
  /** When the request in flight started (monotonic, as every local deadline here). */
  readonly fetchStartedAt: number
  /** The current round of attempts: when it started, how many so far, which keys were rejected (bits). */
  readonly round:
    | { readonly startedAt: number; readonly attempt: number; readonly rejectedKeys: number }
    | undefined
  /** Set while waiting out a backoff; the timer with `timerId` fires then. */
  readonly retryAt: number | undefined
  readonly timerId: number
  /** Why the last round failed; until `until`, demands without a valid token fail fast with it. */
  readonly failure: { readonly error: M3terAuthError; readonly until: number } | undefined
  /** Rounds given up in a row: each lengthens the next cooldown, and makes the next round one attempt. */
  readonly giveUps: number
}

/** Events omit `at`: the provider stamps the time when it emits them. */
type Emitted = M3terAuthEvent extends infer E ? (E extends M3terAuthEvent ? Omit<E, 'at'> : never) : never

/**
 * @example
 * ```ts
 * step(state, { type: 'invalidate', accessToken: rejected }, clock.now())
 * ```
 */
export type MachineEvent =
  | { readonly type: 'demand' }
  /** A token arrived, from the endpoint (`persist`) or from a shared store. */
  | {
      readonly type: 'fetched'
      readonly fetchId: number
      readonly token: StoredToken
      readonly persist: boolean
      readonly startedAt: number
    }
  /** `random` in [0, 1) is drawn by the provider so that this function stays pure. */
  | {
      readonly type: 'failed'
      readonly fetchId: number
      readonly failure: TokenFailure
      readonly random: number
    }
  | { readonly type: 'timer'; readonly timerId: number }
  | { readonly type: 'invalidate'; readonly accessToken: string }
  | { readonly type: 'credentials_changed'; readonly keyCount: number }
  | { readonly type: 'close' }

/**
 * @example
 * ```ts
 * for (const effect of step(state, { type: 'demand' }, now).effects) perform(effect)
 * ```
 */
export type Effect =
  | { readonly type: 'fetch'; readonly fetchId: number; readonly keyIndex: number }
  | { readonly type: 'abort' }
  /** Set the backoff timer (`at` defined) or clear it. */
  | { readonly type: 'timer'; readonly timerId: number; readonly at: number | undefined }
  /** Settle every waiter with a token or an error. */
  | { readonly type: 'settle'; readonly accessToken?: string; readonly error?: M3terAuthError }
  /** Write the token to the store, or delete it (`remove`). */
  | { readonly type: 'store'; readonly token: StoredToken; readonly remove: boolean }
  | { readonly type: 'emit'; readonly event: Emitted }

/**
 * What a demand gets: the token now, a wait for the next settlement, or an error now.
 *
 * @example
 * ```ts
 * const reply = step(state, { type: 'demand' }, now).reply as Reply // { token } now, { error }, or {} to wait
 * ```
 */
export type Reply = { readonly token?: string; readonly error?: M3terAuthError }

/**
 * @example
 * ```ts
 * const { state: next, effects } = step(state, { type: 'close' }, now)
 * ```
 */
export interface Transition {
  readonly state: MachineState
  readonly effects: readonly Effect[]
  /** For `demand`: the token now, an error now, or (empty) wait. For `invalidate`: whether it was current. */
  readonly reply?: Reply | boolean
}

/**
 * @example
 * ```ts
 * const state = initialState(2) // a [primary, secondary] pair of keys
 * ```
 */
export function initialState(keyCount: number): MachineState {
  return {
    closed: false,
    token: undefined,
    generation: 0,
    keyIndex: 0,
    keyCount,
    fetchId: 0,
    inFlight: false,
    fetchStartedAt: 0,
    round: undefined,
    retryAt: undefined,
    timerId: 0,
    failure: undefined,
    giveUps: 0,
  }
}

/**
 * The wall time a token is judged by: the wall clock, or, when later, the wall time it arrived at plus the
 * monotonic time since. A wall clock stepped back thus never makes a token look fresher than it is.
 *
 * @example
 * ```ts
 * tokenTime(token, Date.now(), performance.now()) >= token.refreshAt // time to refresh
 * ```
 */
export function tokenTime(token: CurrentToken, now: number, mono: number): number {
  return Math.max(now, mono - token.offset)
}

/**
 * A token that may still be served at `now` (wall) / `mono` (monotonic).
 *
 * @example
 * ```ts
 * validToken(state, clock.now())?.accessToken
 * ```
 */
export function validToken(state: MachineState, now: number, mono = now): CurrentToken | undefined {
  const token = state.token
  return token && tokenTime(token, now, mono) < token.expiresAt ? token : undefined
}

/**
 * The status that `snapshot()` shows.
 *
 * @example
 * ```ts
 * statusOf(initialState(1), 0) // 'empty'
 * ```
 */
export function statusOf(state: MachineState, now: number, mono = now): TokenStatus {
  const valid = validToken(state, now, mono)
  return state.closed
    ? 'closed'
    : state.inFlight
      ? valid
        ? 'refreshing'
        : 'fetching'
      : state.retryAt !== undefined
        ? 'backoff'
        : valid
          ? 'fresh'
          : state.failure
            ? 'failed'
            : 'empty'
}

/**
 * Builds the pure transition function for a retry policy. `now` is wall time, which token expiry is
 * measured in (tokens are shared across processes); `mono` is a monotonic clock for every local deadline
 * (backoffs, cooldowns, stale requests), so that a wall clock stepped either way stretches none of them.
 * Without `mono`, wall time serves for both. A request in flight for longer than
 * `staleAfterMs` is given up at the next demand: some runtimes (workerd) drop the pending work of a
 * request that has already answered, and with it the answer and the timeout timer of a background
 * refresh; without this the provider would wait for it forever.
 *
 * @example
 * ```ts
 * const step = createStep(DEFAULT_RETRY, 20_000)
 * const { effects, reply } = step(initialState(1), { type: 'demand' }, Date.now())
 * // effects: fetch; reply: {} (wait)
 * ```
 */
export function createStep(retry: RetryPolicy, staleAfterMs = Number.POSITIVE_INFINITY) {
  return function step(state: MachineState, event: MachineEvent, now: number, mono = now): Transition {
    const same = { state, effects: [] }
    if (state.closed) return event.type === 'demand' ? { ...same, reply: { error: closedError() } } : same
    const current = 'fetchId' in event && event.fetchId === state.fetchId && state.inFlight
    switch (event.type) {
      case 'demand':
        return demand(state, now, mono)
      case 'fetched': {
        if (!current) return same
        const generation = state.generation + 1
        const token = { ...event.token, generation, offset: mono - now }
        const { expiresAt, refreshAt } = token
        // An answer slower than the token's own lifetime: never settle a caller with an expired token.
        if (now >= expiresAt)
          return failed(
            state,
            {
              error: new M3terAuthError(
                'invalid_token_response',
                'getToken: the token expired before it arrived',
              ),
              // Not retryable, not a rejected key, no Retry-After.
            } as TokenFailure,
            0,
            now,
            mono,
          )
        const attempt = state.round?.attempt ?? 1
        return {
          state: {
            ...state,
            token,
            generation,
            inFlight: false,
            round: undefined,
            retryAt: undefined,
            failure: undefined,
            giveUps: 0,
          },
          effects: [
            { type: 'settle', accessToken: token.accessToken },
            ...(event.persist ? [{ type: 'store' as const, token: event.token, remove: false }] : []),
            {
              type: 'emit',
              event: {
                type: 'token_fetched',
                generation,
                durationMs: mono - event.startedAt,
                expiresAt,
                refreshAt,
                attempt,
                source: event.persist ? 'endpoint' : 'store',
              },
            },
          ],
        }
      }
      case 'failed':
        return current ? failed(state, event.failure, event.random, now, mono) : same
      case 'timer':
        return event.timerId === state.timerId && state.retryAt !== undefined
          ? startFetch({ ...state, retryAt: undefined }, mono, 'retry')
          : same
      case 'invalidate': {
        const token = state.token
        if (token?.accessToken !== event.accessToken) return { ...same, reply: false }
        return {
          state: { ...state, token: undefined },
          effects: [
            { type: 'store', token, remove: true },
            { type: 'emit', event: { type: 'token_invalidated', generation: token.generation } },
          ],
          reply: true,
        }
      }
      case 'credentials_changed': {
        const next = {
          ...state,
          keyIndex: 0,
          keyCount: event.keyCount,
          failure: undefined,
          round: undefined,
          giveUps: 0,
        }
        const effects: Effect[] = [{ type: 'emit', event: { type: 'credentials_changed' } }]
        // A request in flight uses the old key: ask again with the new one and ignore the old answer.
        return state.inFlight
          ? startFetch(next, mono, 'credentials_changed', [{ type: 'abort' }, ...effects])
          : { state: next, effects }
      }
      case 'close':
        return {
          state: { ...state, closed: true, inFlight: false, retryAt: undefined },
          effects: [
            { type: 'timer', timerId: state.timerId, at: undefined },
            { type: 'abort' },
            { type: 'settle', error: closedError() },
          ],
        }
    }
  }

  function demand(state: MachineState, now: number, mono: number): Transition {
    if (state.inFlight && mono - state.fetchStartedAt >= staleAfterMs) {
      const restarted = startFetch(state, mono, 'retry', [{ type: 'abort' }])
      const served = demand(restarted.state, now, mono)
      return { ...served, effects: [...restarted.effects, ...served.effects] }
    }
    const token = validToken(state, now, mono)
    const failure = state.failure && mono < state.failure.until ? state.failure : undefined
    const busy = state.inFlight || state.retryAt !== undefined
    if (token) {
      const reply = { token: token.accessToken }
      return tokenTime(token, now, mono) >= token.refreshAt && !busy && !failure
        ? { ...startFetch(state, mono, 'refresh_window'), reply }
        : { state, effects: [], reply }
    }
    const reason: RefreshReason = state.token ? 'expired' : state.generation ? 'invalidated' : 'cold'
    const cleared = { ...state, token: undefined }
    if (failure) return { state: cleared, effects: [], reply: { error: failure.error } }
    if (busy) return { state: cleared, effects: [], reply: {} }
    return { ...startFetch({ ...cleared, failure: undefined }, mono, reason), reply: {} }
  }

  /** `mono`: the monotonic time that rounds and stale requests are measured by. */
  function startFetch(
    state: MachineState,
    mono: number,
    reason: RefreshReason,
    before: Effect[] = [],
  ): Transition {
    const round = state.round ?? { startedAt: mono, attempt: 0, rejectedKeys: 0 }
    const attempt = round.attempt + 1
    const fetchId = state.fetchId + 1
    return {
      state: { ...state, round: { ...round, attempt }, fetchId, inFlight: true, fetchStartedAt: mono },
      effects: [
        ...before,
        { type: 'fetch', fetchId, keyIndex: state.keyIndex },
        { type: 'emit', event: { type: 'fetch_started', reason, attempt, keyIndex: state.keyIndex } },
      ],
    }
  }

  function failed(
    state: MachineState,
    failure: TokenFailure,
    random: number,
    now: number,
    mono: number,
  ): Transition {
    const { error, retryAfterMs } = failure
    const round = state.round ?? { startedAt: mono, attempt: 1, rejectedKeys: 0 }
    const { attempt } = round
    const giveUps = state.giveUps + 1
    const idle = { ...state, inFlight: false, round: undefined }
    const token = validToken(state, now, mono)
    const { status, code } = error

    if (failure.credentialsRejected) {
      const rejectedKeys = round.rejectedKeys | (1 << state.keyIndex)
      const other = (state.keyIndex + 1) % state.keyCount
      const cooldown = retry.invalidCredentialsCooldownMs
      const effects: Effect[] = [
        {
          type: 'emit',
          event: {
            type: 'credentials_rejected',
            status,
            keyIndex: state.keyIndex,
            cooldownUntil: now + cooldown,
          },
        },
      ]
      // The other key of a rotation pair may be the one still active: try it at once (in a full round; a
      // probe after a give-up stays one request).
      if (!state.giveUps && !(rejectedKeys & (1 << other)))
        return startFetch(
          { ...state, keyIndex: other, round: { ...round, rejectedKeys } },
          mono,
          'retry',
          effects,
        )
      return {
        // The next round (one probe) asks with the other key: probes alternate between the keys of a pair.
        state: { ...idle, keyIndex: other, giveUps, failure: { error, until: mono + cooldown } },
        effects: [...effects, { type: 'settle', error }],
      }
    }

    // After a give-up, a round is one attempt (a probe): a failing endpoint then sees one request per cooldown.
    const giveUp =
      !failure.retryable ||
      attempt >= retry.maxAttempts ||
      state.giveUps > 0 ||
      mono - round.startedAt >= retry.maxElapsedMs
    // The cooldown after the `giveUps`-th round in a row gave up: the backoff goes on growing where the
    // round's retries stopped, doubling per give-up up to maxDelayMs, and keeps at least half of itself
    // ("equal jitter") so that however often callers ask, a failing endpoint sees a few requests a minute.
    const cooldown = backoffDelay(retry.maxAttempts + giveUps, (1 + random) / 2, retryAfterMs, retry)
    if (giveUp && !token) {
      // Whatever the cause, callers fail fast with this error, and no request starts, until the cooldown
      // has passed: never one token request per demand.
      const until = mono + cooldown
      return {
        state: { ...idle, giveUps, failure: { error, until } },
        effects: [
          { type: 'emit', event: { type: 'refresh_failed', code, status, attempt, retryInMs: undefined } },
          { type: 'settle', error },
        ],
      }
    }
    // Attempts are left, or a valid token is kept and served (§4.8): try again after a backoff, or once the
    // round has given up, after the cooldown (should the token expire meanwhile, callers fail fast till then).
    const retryInMs = giveUp ? cooldown : backoffDelay(attempt, random, retryAfterMs, retry)
    const timerId = state.timerId + 1
    const at = mono + retryInMs
    return {
      state: {
        ...idle,
        retryAt: at,
        timerId,
        ...(giveUp ? { giveUps, failure: { error, until: at } } : { round }),
      },
      effects: [
        { type: 'emit', event: { type: 'refresh_failed', code, status, attempt, retryInMs } },
        ...(token
          ? [
              {
                type: 'emit' as const,
                event: {
                  type: 'served_stale' as const,
                  generation: token.generation,
                  expiresAt: token.expiresAt,
                },
              },
            ]
          : []),
        { type: 'timer', timerId, at },
      ],
    }
  }
}

function closedError(): M3terAuthError {
  return new M3terAuthError('aborted', 'getToken: the token provider is closed')
}
