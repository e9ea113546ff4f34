import { backoffDelay, type RetryPolicy } from './backoff-policy.ts'
import { M3terAuthError } from './errors.ts'
import { type RefreshPolicy, tokenTimes } from './refresh-policy.ts'
import type { TokenFailure } from './token-endpoint.ts'
import type { M3terAuthEvent, RefreshReason, StoredToken, TokenStatus } from './types.ts'

/**
 * The token state machine: a pure function of (state, event, now). It decides; the provider performs
 * the effects it asks for (start a request, set a timer, settle waiters, emit events). Keeping I/O out
 * makes every transition testable with plain values and a model-based test.
 */

export interface CurrentToken extends StoredToken {
  readonly generation: number
}

/** One round of attempts to get a token, from the first attempt to success or giving up. */
interface Round {
  readonly startedAt: number
  readonly attempt: number
  /** Bit i set: key i was rejected in this round. */
  readonly rejectedKeys: number
}

export interface MachineState {
  readonly closed: boolean
  readonly token: CurrentToken | undefined
  readonly generation: number
  readonly keyIndex: number
  readonly keyCount: number
  /** Id of the latest request started; answers to older ones are ignored. */
  readonly fetchId: number
  readonly inFlight: boolean
  readonly round: Round | undefined
  /** Set while waiting out a backoff; the timer with `timerId` fires then. */
  readonly retryAt: number | undefined
  readonly timerId: number
  /** Why the last round failed; `until` is when fail-fast ends (rejected credentials cool down). */
  readonly failure: { readonly error: M3terAuthError; readonly until: number } | undefined
}

export type MachineEvent =
  | { readonly type: 'demand' }
  | {
      readonly type: 'fetch_succeeded'
      readonly fetchId: number
      readonly startedAt: number
      readonly accessToken: string
      readonly expiresInSeconds: number
      /** In [0, 1): drawn by the provider so that this function stays pure. */
      readonly random: number
    }
  | { readonly type: 'store_hit'; readonly fetchId: number; readonly token: StoredToken }
  | { readonly type: 'fetch_failed'; readonly fetchId: number; readonly failure: TokenFailure; readonly random: number }
  | { readonly type: 'timer'; readonly timerId: number }
  | { readonly type: 'invalidate'; readonly accessToken: string }
  | { readonly type: 'credentials_changed'; readonly keyCount: number }
  | { readonly type: 'close' }

export type Effect =
  | { readonly type: 'start_fetch'; readonly fetchId: number; readonly keyIndex: number; readonly reason: RefreshReason }
  | { readonly type: 'abort_fetch' }
  | { readonly type: 'set_timer'; readonly timerId: number; readonly at: number }
  | { readonly type: 'clear_timer' }
  | { readonly type: 'resolve_waiters'; readonly accessToken: string }
  | { readonly type: 'reject_waiters'; readonly error: M3terAuthError }
  | { readonly type: 'persist'; readonly token: StoredToken }
  | { readonly type: 'unpersist'; readonly accessToken: string }
  | { readonly type: 'emit'; readonly event: M3terAuthEvent }

/** What a demand gets: the token now, a wait for the next settlement, or an error now. */
export type Reply =
  | { readonly kind: 'token'; readonly accessToken: string }
  | { readonly kind: 'wait' }
  | { readonly kind: 'error'; readonly error: M3terAuthError }

export interface Transition {
  readonly state: MachineState
  readonly effects: readonly Effect[]
  readonly reply?: Reply
  /** For `invalidate`: whether the token was the current one. */
  readonly invalidated?: boolean
}

export interface MachinePolicy {
  readonly refresh: RefreshPolicy
  readonly retry: RetryPolicy
}

export function initialState(keyCount: number): MachineState {
  return {
    closed: false,
    token: undefined,
    generation: 0,
    keyIndex: 0,
    keyCount,
    fetchId: 0,
    inFlight: false,
    round: undefined,
    retryAt: undefined,
    timerId: 0,
    failure: undefined,
  }
}

/** A token that may still be served at `now`. */
export function validToken(state: MachineState, now: number): CurrentToken | undefined {
  const token = state.token
  return token !== undefined && now < token.expiresAt ? token : undefined
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
  if (state.closed) return 'closed'
  const valid = validToken(state, now) !== undefined
  if (state.inFlight) return valid ? 'refreshing' : 'fetching'
  if (state.retryAt !== undefined) return 'backoff'
  if (valid) return 'fresh'
  if (state.failure !== undefined) return 'failed'
  return 'empty'
}

const NO_EFFECTS: readonly Effect[] = []

/**
 * Builds the pure transition function for one set of policies.
 *
 * @example
 * ```ts
 * const step = createStep({ refresh: DEFAULT_REFRESH, retry: DEFAULT_RETRY })
 * const { state, effects, reply } = step(initialState(1), { type: 'demand' }, Date.now())
 * // effects: start_fetch; reply: wait
 * ```
 */
export function createStep(policy: MachinePolicy) {
  return function step(state: MachineState, event: MachineEvent, now: number): Transition {
    if (state.closed) {
      return event.type === 'demand' ? { state, effects: NO_EFFECTS, reply: { kind: 'error', error: closedError() } } : { state, effects: NO_EFFECTS, invalidated: false }
    }
    switch (event.type) {
      case 'demand':
        return demand(state, now)
      case 'fetch_succeeded': {
        if (event.fetchId !== state.fetchId || !state.inFlight) return { state, effects: NO_EFFECTS }
        const times = tokenTimes(event.startedAt, event.expiresInSeconds, event.random, policy.refresh)
        const stored: StoredToken = { accessToken: event.accessToken, obtainedAt: event.startedAt, ...times }
        return accept(state, stored, now, event.startedAt, state.round?.attempt ?? 1, true)
      }
      case 'store_hit': {
        if (event.fetchId !== state.fetchId || !state.inFlight) return { state, effects: NO_EFFECTS }
        return accept(state, event.token, now, now, state.round?.attempt ?? 1, false)
      }
      case 'fetch_failed':
        if (event.fetchId !== state.fetchId || !state.inFlight) return { state, effects: NO_EFFECTS }
        return failed(state, event.failure, event.random, now)
      case 'timer':
        if (event.timerId !== state.timerId || state.retryAt === undefined) return { state, effects: NO_EFFECTS }
        return startFetch({ ...state, retryAt: undefined }, now, 'retry', [])
      case 'invalidate': {
        if (state.token === undefined || state.token.accessToken !== event.accessToken) {
          return { state, effects: NO_EFFECTS, invalidated: false }
        }
        const generation = state.token.generation
        return {
          state: { ...state, token: undefined },
          effects: [
            { type: 'unpersist', accessToken: event.accessToken },
            { type: 'emit', event: { type: 'token_invalidated', generation, at: now } },
          ],
          invalidated: true,
        }
      }
      case 'credentials_changed': {
        const next: MachineState = { ...state, keyIndex: 0, keyCount: event.keyCount, failure: undefined, round: undefined }
        const emit: Effect = { type: 'emit', event: { type: 'credentials_changed', at: now } }
        // A request in flight uses the old key; ask again with the new one and ignore the old answer.
        if (state.inFlight) return startFetch({ ...next, inFlight: false }, now, 'credentials_changed', [{ type: 'abort_fetch' }, emit])
        return { state: next, effects: [emit] }
      }
      case 'close':
        return {
          state: { ...state, closed: true, inFlight: false, retryAt: undefined, fetchId: state.fetchId + 1 },
          effects: [{ type: 'clear_timer' }, { type: 'abort_fetch' }, { type: 'reject_waiters', error: closedError() }],
        }
    }
  }

  function demand(state: MachineState, now: number): Transition {
    const token = validToken(state, now)
    if (token !== undefined) {
      const reply: Reply = { kind: 'token', accessToken: token.accessToken }
      const idle = !state.inFlight && state.retryAt === undefined
      const coolingDown = state.failure !== undefined && now < state.failure.until
      if (now >= token.refreshAt && idle && !coolingDown) {
        return { ...startFetch(state, now, 'refresh_window', []), reply }
      }
      return { state, effects: NO_EFFECTS, reply }
    }
    const reason: RefreshReason = state.token !== undefined ? 'expired' : state.generation > 0 ? 'invalidated' : 'cold'
    const cleared: MachineState = state.token !== undefined ? { ...state, token: undefined } : state
    if (cleared.inFlight || cleared.retryAt !== undefined) return { state: cleared, effects: NO_EFFECTS, reply: { kind: 'wait' } }
    if (cleared.failure !== undefined && now < cleared.failure.until) {
      return { state: cleared, effects: NO_EFFECTS, reply: { kind: 'error', error: cleared.failure.error } }
    }
    return { ...startFetch({ ...cleared, failure: undefined }, now, reason, []), reply: { kind: 'wait' } }
  }

  function startFetch(state: MachineState, now: number, reason: RefreshReason, before: Effect[]): Transition {
    const round: Round =
      state.round === undefined
        ? { startedAt: now, attempt: 1, rejectedKeys: 0 }
        : { ...state.round, attempt: state.round.attempt + 1 }
    const fetchId = state.fetchId + 1
    return {
      state: { ...state, round, fetchId, inFlight: true },
      effects: [
        ...before,
        { type: 'start_fetch', fetchId, keyIndex: state.keyIndex, reason },
        { type: 'emit', event: { type: 'fetch_started', reason, attempt: round.attempt, at: now } },
      ],
    }
  }

  function accept(
    state: MachineState,
    stored: StoredToken,
    now: number,
    startedAt: number,
    attempt: number,
    fromEndpoint: boolean,
  ): Transition {
    const generation = state.generation + 1
    const token: CurrentToken = { ...stored, generation }
    const effects: Effect[] = [{ type: 'resolve_waiters', accessToken: token.accessToken }]
    if (fromEndpoint) effects.push({ type: 'persist', token: stored })
    effects.push({
      type: 'emit',
      event: {
        type: 'token_fetched',
        generation,
        durationMs: now - startedAt,
        expiresAt: token.expiresAt,
        refreshAt: token.refreshAt,
        attempt,
        at: now,
      },
    })
    return {
      state: { ...state, token, generation, inFlight: false, round: undefined, retryAt: undefined, failure: undefined },
      effects,
    }
  }

  function failed(state: MachineState, failure: TokenFailure, random: number, now: number): Transition {
    const round = state.round ?? { startedAt: now, attempt: 1, rejectedKeys: 0 }
    const idle: MachineState = { ...state, inFlight: false }
    const token = validToken(state, now)
    const effects: Effect[] = []

    if (failure.credentialsRejected) {
      const rejectedKeys = round.rejectedKeys | (1 << state.keyIndex)
      const other = (state.keyIndex + 1) % state.keyCount
      const until = now + policy.retry.invalidCredentialsCooldownMs
      effects.push({
        type: 'emit',
        event: { type: 'credentials_rejected', status: failure.error.status, keyIndex: state.keyIndex, cooldownUntil: until, at: now },
      })
      if ((rejectedKeys & (1 << other)) === 0) {
        // The other key of a rotation pair may be the one that is still active: try it at once.
        return startFetch({ ...idle, keyIndex: other, round: { ...round, rejectedKeys } }, now, 'retry', effects)
      }
      effects.push({ type: 'reject_waiters', error: failure.error })
      return { state: { ...idle, round: undefined, failure: { error: failure.error, until } }, effects }
    }

    const giveUp =
      !failure.retryable || round.attempt >= policy.retry.maxAttempts || now - round.startedAt >= policy.retry.maxElapsedMs
    if (giveUp && token === undefined) {
      effects.push(
        { type: 'emit', event: refreshFailed(failure, round.attempt, undefined, now) },
        { type: 'reject_waiters', error: failure.error },
      )
      return { state: { ...idle, token: undefined, round: undefined, failure: { error: failure.error, until: now } }, effects }
    }
    // Still holding a valid token (or attempts left): keep serving it and try again after a backoff.
    const delay = backoffDelay(round.attempt, random, failure.retryAfterMs, policy.retry)
    const timerId = state.timerId + 1
    effects.push({ type: 'emit', event: refreshFailed(failure, round.attempt, delay, now) })
    if (token !== undefined) {
      effects.push({ type: 'emit', event: { type: 'served_stale', generation: token.generation, expiresAt: token.expiresAt, at: now } })
    }
    effects.push({ type: 'set_timer', timerId, at: now + delay })
    return { state: { ...idle, retryAt: now + delay, timerId }, effects }
  }
}

function refreshFailed(failure: TokenFailure, attempt: number, retryInMs: number | undefined, now: number): M3terAuthEvent {
  const status = failure.error.status
  return status === undefined
    ? { type: 'refresh_failed', code: failure.error.code, attempt, retryInMs, at: now }
    : { type: 'refresh_failed', code: failure.error.code, status, attempt, retryInMs, at: now }
}

function closedError(): M3terAuthError {
  return new M3terAuthError('aborted', 'getToken: the token provider was closed')
}
