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
  /** When the request in flight started. */
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
  }
}

/**
 * A token that may still be served at `now`.
 *
 * @example
 * ```ts
 * validToken(state, clock.now())?.accessToken
 * ```
 */
export function validToken(state: MachineState, now: number): CurrentToken | undefined {
  const token = state.token
  return token && now < token.expiresAt ? token : undefined
}

/**
 * The status that `snapshot()` shows.
 *
 * @example
 * ```ts
 * statusOf(initialState(1), 0) // 'empty'
 * ```
 */
export function statusOf(state: MachineState, now: number): TokenStatus {
  const valid = validToken(state, now)
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
 * Builds the pure transition function for a retry policy. A request in flight for longer than
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
  return function step(state: MachineState, event: MachineEvent, now: number): Transition {
    const same = { state, effects: [] }
    if (state.closed) return event.type === 'demand' ? { ...same, reply: { error: closedError() } } : same
    const current = 'fetchId' in event && event.fetchId === state.fetchId && state.inFlight
    switch (event.type) {
      case 'demand':
        return demand(state, now)
      case 'fetched': {
        if (!current) return same
        const generation = state.generation + 1
        const token = { ...event.token, generation }
        const { expiresAt, refreshAt } = token
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
          },
          effects: [
            { type: 'settle', accessToken: token.accessToken },
            ...(event.persist ? [{ type: 'store' as const, token: event.token, remove: false }] : []),
            {
              type: 'emit',
              event: {
                type: 'token_fetched',
                generation,
                durationMs: now - event.startedAt,
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
        return current ? failed(state, event.failure, event.random, now) : same
      case 'timer':
        return event.timerId === state.timerId && state.retryAt !== undefined
          ? startFetch({ ...state, retryAt: undefined }, now, 'retry')
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
        const next = { ...state, keyIndex: 0, keyCount: event.keyCount, failure: undefined, round: undefined }
        const effects: Effect[] = [{ type: 'emit', event: { type: 'credentials_changed' } }]
        // A request in flight uses the old key: ask again with the new one and ignore the old answer.
        return state.inFlight
          ? startFetch(next, now, 'credentials_changed', [{ type: 'abort' }, ...effects])
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

  function demand(state: MachineState, now: number): Transition {
    if (state.inFlight && now - state.fetchStartedAt >= staleAfterMs) {
      const restarted = startFetch(state, now, 'retry', [{ type: 'abort' }])
      const served = demand(restarted.state, now)
      return { ...served, effects: [...restarted.effects, ...served.effects] }
    }
    const token = validToken(state, now)
    const failure = state.failure && now < state.failure.until ? state.failure : undefined
    const busy = state.inFlight || state.retryAt !== undefined
    if (token) {
      const reply = { token: token.accessToken }
      return now >= token.refreshAt && !busy && !failure
        ? { ...startFetch(state, now, 'refresh_window'), reply }
        : { state, effects: [], reply }
    }
    const reason: RefreshReason = state.token ? 'expired' : state.generation ? 'invalidated' : 'cold'
    const cleared = { ...state, token: undefined }
    if (busy) return { state: cleared, effects: [], reply: {} }
    if (failure) return { state: cleared, effects: [], reply: { error: failure.error } }
    return { ...startFetch({ ...cleared, failure: undefined }, now, reason), reply: {} }
  }

  function startFetch(
    state: MachineState,
    now: number,
    reason: RefreshReason,
    before: Effect[] = [],
  ): Transition {
    const round = state.round ?? { startedAt: now, attempt: 0, rejectedKeys: 0 }
    const attempt = round.attempt + 1
    const fetchId = state.fetchId + 1
    return {
      state: { ...state, round: { ...round, attempt }, fetchId, inFlight: true, fetchStartedAt: now },
      effects: [
        ...before,
        { type: 'fetch', fetchId, keyIndex: state.keyIndex },
        { type: 'emit', event: { type: 'fetch_started', reason, attempt, keyIndex: state.keyIndex } },
      ],
    }
  }

  function failed(state: MachineState, failure: TokenFailure, random: number, now: number): Transition {
    const { error, retryAfterMs } = failure
    const round = state.round ?? { startedAt: now, attempt: 1, rejectedKeys: 0 }
    const { attempt } = round
    const idle = { ...state, inFlight: false, round: undefined }
    const token = validToken(state, now)
    const status = error.status
    const code = error.code

    if (failure.credentialsRejected) {
      const rejectedKeys = round.rejectedKeys | (1 << state.keyIndex)
      const other = (state.keyIndex + 1) % state.keyCount
      const until = now + retry.invalidCredentialsCooldownMs
      const effects: Effect[] = [
        {
          type: 'emit',
          event: { type: 'credentials_rejected', status, keyIndex: state.keyIndex, cooldownUntil: until },
        },
      ]
      // The other key of a rotation pair may be the one still active: try it at once.
      if (!(rejectedKeys & (1 << other)))
        return startFetch(
          { ...state, keyIndex: other, round: { ...round, rejectedKeys } },
          now,
          'retry',
          effects,
        )
      return {
        state: { ...idle, failure: { error, until } },
        effects: [...effects, { type: 'settle', error }],
      }
    }

    const giveUp =
      !failure.retryable || attempt >= retry.maxAttempts || now - round.startedAt >= retry.maxElapsedMs
    if (giveUp && !token) {
      // Given up: the waiters get the error. The next demand starts a new round (concurrent callers share
      // it), except while a Retry-After the server sent has not passed: until then callers fail fast.
      // (DESIGN §4.7 reserves a cooldown for rejected keys; a server's Retry-After is honoured, not guessed.)
      const until = now + Math.min(retryAfterMs ?? 0, retry.maxDelayMs)
      return {
        state: { ...idle, token: undefined, failure: { error, until } },
        effects: [
          { type: 'emit', event: { type: 'refresh_failed', code, status, attempt, retryInMs: undefined } },
          { type: 'settle', error },
        ],
      }
    }
    // A valid token is kept and served (or attempts are left): try again after a backoff.
    const retryInMs = backoffDelay(attempt, random, retryAfterMs, retry)
    const timerId = state.timerId + 1
    const at = now + retryInMs
    return {
      state: { ...idle, round, retryAt: at, timerId },
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
