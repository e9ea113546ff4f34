/**
 * The token state machine: a pure function `step(state, event, now, mono) -> { state, effects, reply }`.
 * It decides; the provider performs the effects it asks for (start a request, set a timer, settle
 * waiters, write the store, emit events) and feeds back what happens as events. Keeping I/O out makes
 * every transition testable with plain values, and lets a model-based test drive it at random.
 *
 * Two clocks: `now` is wall time, which token expiry is measured in (tokens are shared across processes);
 * `mono` is a monotonic clock for every local deadline (backoffs, cooldowns, stale requests), so that a
 * wall clock stepped either way stretches none of them.
 *
 * States × events. Each row is a phase, with the statuses `statusOf` tells apart in it (by whether a
 * valid token is held: one before its `expiresAt`); each column is an event, handled by the function of
 * that name below. "–": ignored, nothing changes. A `fetched`, `failed` or `timer` counts only when it
 * carries the id of the phase's own request or timer; any other is from before and ignored too.
 *
 * | phase (statuses)                | demand                    | fetched    | failed                          | timer          | invalidate  | credentials_changed | close        |
 * | ------------------------------- | ------------------------- | ---------- | ------------------------------- | -------------- | ----------- | ------------------- | ------------ |
 * | idle (empty, fresh, failed)     | serve [1] or fetch [2]    | –          | –                               | –              | drop [5]    | reset [6]           | → closed [7] |
 * | fetching (fetching, refreshing) | [3] serve [1] or wait [2] | → idle [4] | → fetching, backoff or idle [8] | –              | drop [5]    | → fetching [6]      | → closed [7] |
 * | backoff (backoff)               | serve [1] or wait [2]     | –          | –                               | → fetching [9] | drop [5]    | reset [6]           | → closed [7] |
 * | closed (closed)                 | closed error              | –          | –                               | –              | reply false | –                   | –            |
 *
 * [1] A valid token is replied at once. In idle, past its `refreshAt` and not failing (a failure whose
 *     cooldown has not passed), a refresh starts as well: → fetching (`refresh_window`).
 * [2] No valid token: failing → reply the failure's error. Else in idle → fetching (`cold`, `expired` or
 *     `invalidated`); the reply `{}` says wait for the next settle.
 * [3] A request in flight for `staleAfterMs` or more is aborted and started anew (`retry`) first.
 * [4] → idle with the token, failure and give-ups forgotten; every waiter settles with it; a token from
 *     the endpoint is stored. A token already expired when it arrives is a failure that gives up ([8]).
 * [5] The current token → dropped, deleted from the store, reply `true`. Any other: reply `false`.
 * [6] Back to the first key; failure and give-ups forgotten. A request in flight is aborted and
 *     started anew with the new key; a backoff keeps its timer, and its retry starts a new round.
 * [7] The request in flight is aborted, the backoff timer cancelled; waiters settle with the closed error.
 * [8] A rejected key: the other key of a pair at once (→ fetching), unless it was rejected in this round
 *     or a round gave up before; else → idle, failing for `invalidCredentialsCooldownMs`. Any other
 *     failure: attempts left → backoff (`backoffDelay`). The round gives up when the failure is not
 *     retryable, after `maxAttempts` or `maxElapsedMs`, at once after a give-up (one probe per
 *     cooldown), and when the server's Retry-After (honoured up to `maxRetryAfterMs`) is at least
 *     `maxWaitMs`: no caller could wait for the next attempt. With a valid token → backoff for the
 *     cooldown (never shorter than the Retry-After), still serving it; without → idle, failing for the
 *     cooldown. Whoever goes idle settles the waiters with the error.
 * [9] → fetching: the round's next attempt (a new round after a give-up or new credentials).
 */
import { backoffDelay, honouredRetryAfter, type RetryPolicy } from './backoff-policy.ts'
import { M3terAuthError } from './errors.ts'
import type { M3terAuthEvent, RefreshReason } from './events.ts'
import { DEFAULT_REFRESH, type RefreshPolicy, tokenTimes } from './refresh-policy.ts'
import type { TokenFailure } from './token-failure.ts'
import type { TokenStatus } from './token-provider.ts'
import type { StoredToken } from './token-store.ts'

/**
 * The token being served, with what the machine needs to judge it.
 *
 * @example
 * ```ts
 * const token = step(state, event, Date.now(), performance.now()).state.token
 * if (token) console.log(`generation ${token.generation} expires at ${new Date(token.expiresAt)}`)
 * ```
 */
export interface CurrentToken extends StoredToken {
  /** 1 for the first token obtained, and one more for each after it. */
  readonly generation: number
  /** Monotonic minus wall time when it arrived: lets a wall clock stepped back be seen through. */
  readonly offset: number
}

/**
 * The current round of attempts: when it started (monotonic), how many so far, which keys of a rotation
 * pair the token endpoint rejected in it (bit `1 << keyIndex`). A round ends with a token or a give-up.
 *
 * @example
 * ```ts
 * const round: Round = { startedAt: performance.now(), attempt: 1, rejectedKeys: 0 }
 * ```
 */
export interface Round {
  readonly startedAt: number
  readonly attempt: number
  readonly rejectedKeys: number
}

/**
 * Where the machine is between two events. A request in flight and a backoff timer never coexist, and
 * each carries its id: an answer or a timer with another id is from before and is ignored.
 *
 * @example
 * ```ts
 * if (state.phase.type === 'backoff') console.log(`retrying in ${state.phase.retryAt - performance.now()} ms`)
 * ```
 */
export type Phase =
  | { readonly type: 'idle' }
  /** A token request is in flight since `startedAt` (monotonic). */
  | { readonly type: 'fetching'; readonly fetchId: number; readonly startedAt: number; readonly round: Round }
  /**
   * Waiting for the timer `timerId`, due at `retryAt` (monotonic). Without a round the retry starts a new
   * one (after a give-up, or new credentials).
   */
  | {
      readonly type: 'backoff'
      readonly timerId: number
      readonly retryAt: number
      readonly round: Round | undefined
    }
  | { readonly type: 'closed' }

/**
 * Everything the machine knows: its phase, plus what outlives phases.
 *
 * @example
 * ```ts
 * let state: MachineState = initialState(2) // a [primary, secondary] pair of keys
 * ```
 */
export interface MachineState {
  readonly phase: Phase
  readonly token: CurrentToken | undefined
  /** Tokens obtained so far: the next one's generation is this plus one. */
  readonly generation: number
  /** Which key of the credentials the next request uses (0 primary, 1 secondary). */
  readonly keyIndex: number
  readonly keyCount: number
  /** The last id given to a request or a timer; the next one gets this plus one. */
  readonly lastId: number
  /** Why the last round failed; until `until` (monotonic), demands without a valid token fail fast with it. */
  readonly failure: { readonly error: M3terAuthError; readonly until: number } | undefined
  /** Rounds given up in a row: each lengthens the next cooldown, and makes the next round one attempt. */
  readonly giveUps: number
}

/**
 * An event as the machine emits it: without `at`, which the provider stamps when it emits.
 *
 * @example
 * ```ts
 * const event: Emitted = { type: 'credentials_changed' }
 * onEvent({ ...event, at: Date.now() } as M3terAuthEvent)
 * ```
 */
export type Emitted = M3terAuthEvent extends infer E
  ? E extends M3terAuthEvent
    ? Omit<E, 'at'>
    : never
  : never

/**
 * What happens to the machine: a caller's demand, the outcome of a request, a timer, a call on the
 * provider. `random` in [0, 1) is drawn by the provider so that the machine stays pure.
 *
 * @example
 * ```ts
 * // The token endpoint answered request 3, which started at mono 1_000 (wall 1_700_000_000_000):
 * step(state, {
 *   type: 'fetched', source: 'endpoint', fetchId: 3, startedAt: 1_000, obtainedAt: 1_700_000_000_000,
 *   answer: { accessToken, expiresInSeconds: 18_000 }, random: Math.random(),
 * }, Date.now(), performance.now())
 * ```
 */
export type MachineEvent =
  | { readonly type: 'demand' }
  /**
   * A token arrived from the token endpoint; its refresh times are computed from `obtainedAt` (wall time
   * when the request started: its lifetime counts from there) and `random` (the refresh jitter).
   */
  | {
      readonly type: 'fetched'
      readonly source: 'endpoint'
      readonly fetchId: number
      /** Monotonic time the attempt started: the `token_fetched` event reports how long it took. */
      readonly startedAt: number
      readonly obtainedAt: number
      readonly answer: { readonly accessToken: string; readonly expiresInSeconds: number }
      readonly random: number
    }
  /** A token another member of the fleet stored: it carries its times already. */
  | {
      readonly type: 'fetched'
      readonly source: 'store'
      readonly fetchId: number
      readonly startedAt: number
      readonly token: StoredToken
    }
  | {
      readonly type: 'failed'
      readonly fetchId: number
      readonly failure: TokenFailure
      /** Draws the backoff's jitter. */
      readonly random: number
    }
  | { readonly type: 'timer'; readonly timerId: number }
  | { readonly type: 'invalidate'; readonly accessToken: string }
  | { readonly type: 'credentials_changed'; readonly keyCount: number }
  | { readonly type: 'close' }

/**
 * What the machine asks the provider to do, in order.
 *
 * @example
 * ```ts
 * for (const effect of step(state, { type: 'demand' }, Date.now(), performance.now()).effects)
 *   if (effect.type === 'fetch') startRequest(effect.fetchId, credentials[effect.keyIndex])
 * ```
 */
export type Effect =
  /** Start a token request; answer it with a `fetched` or `failed` event carrying `fetchId`. */
  | { readonly type: 'fetch'; readonly fetchId: number; readonly keyIndex: number }
  /** Abandon the request in flight (its answer, should it come, is ignored) and cancel the backoff timer. */
  | { readonly type: 'abort' }
  /** Set the backoff timer: at `at` (monotonic), step a `timer` event with `timerId`. */
  | { readonly type: 'timer'; readonly timerId: number; readonly at: number }
  /** Settle every waiter with a token or an error. */
  | { readonly type: 'settle'; readonly accessToken?: string; readonly error?: M3terAuthError }
  /** Write the token to the store, or delete it (`remove`). */
  | { readonly type: 'store'; readonly token: StoredToken; readonly remove: boolean }
  | { readonly type: 'emit'; readonly event: Emitted }

/**
 * What a demand gets: the token now, an error now, or neither: wait for the next `settle` effect.
 *
 * @example
 * ```ts
 * const { reply } = step(state, { type: 'demand' }, Date.now(), performance.now())
 * if (reply.token) use(reply.token)
 * else if (reply.error) throw reply.error
 * else waitForSettle()
 * ```
 */
export type Reply = { readonly token?: string; readonly error?: M3terAuthError }

/**
 * The events that answer something besides the next state and the effects, and what they answer.
 *
 * @example
 * ```ts
 * const wasCurrent: Replies['invalidate'] = step(state, { type: 'invalidate', accessToken }, now).reply
 * ```
 */
export interface Replies {
  readonly demand: Reply
  /** Whether the token was the current one, and so was dropped. */
  readonly invalidate: boolean
}

/**
 * The outcome of one step.
 *
 * @example
 * ```ts
 * const { state: next, effects } = step(state, { type: 'close' }, Date.now())
 * ```
 */
export interface Transition {
  readonly state: MachineState
  readonly effects: readonly Effect[]
}

/**
 * The outcome of stepping an event of type `T`: with the reply that type has (see {@link Replies}).
 *
 * @example
 * ```ts
 * const demanded: TransitionTo<'demand'> = step(state, { type: 'demand' }, now) // demanded.reply: Reply
 * ```
 */
export type TransitionTo<T extends MachineEvent['type']> = Transition &
  (T extends keyof Replies ? { readonly reply: Replies[T] } : { readonly reply?: undefined })

/**
 * The transition function that {@link createStep} builds. Without `mono`, wall time serves for both.
 *
 * @example
 * ```ts
 * const { reply } = step(state, { type: 'demand' }, Date.now(), performance.now()) // reply: Reply
 * ```
 */
export type Step = <E extends MachineEvent>(
  state: MachineState,
  event: E,
  now: number,
  mono?: number,
) => TransitionTo<E['type']>

/** What a handler computes from besides the state and the event: the policies and this step's times. */
interface Context {
  readonly retry: RetryPolicy
  readonly refresh: RefreshPolicy
  readonly staleAfterMs: number
  readonly maxWaitMs: number
  readonly now: number
  readonly mono: number
}

type EventOf<T extends MachineEvent['type']> = Extract<MachineEvent, { readonly type: T }>

const IDLE: Phase = { type: 'idle' }
const CLOSED: Phase = { type: 'closed' }

/**
 * The state before any event.
 *
 * @example
 * ```ts
 * const state = initialState(2) // a [primary, secondary] pair of keys
 * statusOf(state, Date.now(), performance.now()) // 'empty'
 * ```
 */
export function initialState(keyCount: number): MachineState {
  return {
    phase: IDLE,
    token: undefined,
    generation: 0,
    keyIndex: 0,
    keyCount,
    lastId: 0,
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
 * The token that may still be served at `now` (wall) / `mono` (monotonic), if any.
 *
 * @example
 * ```ts
 * const bearer = validToken(state, Date.now(), performance.now())?.accessToken
 * ```
 */
export function validToken(state: MachineState, now: number, mono: number): CurrentToken | undefined {
  const token = state.token
  return token && tokenTime(token, now, mono) < token.expiresAt ? token : undefined
}

/**
 * The status that `snapshot()` shows: the phase, told apart further by whether a valid token is held.
 *
 * @example
 * ```ts
 * statusOf(initialState(1), Date.now(), performance.now()) // 'empty'
 * ```
 */
export function statusOf(state: MachineState, now: number, mono: number): TokenStatus {
  const { type } = state.phase
  if (type === 'closed' || type === 'backoff') return type
  const valid = validToken(state, now, mono)
  if (type === 'fetching') return valid ? 'refreshing' : 'fetching'
  return valid ? 'fresh' : state.failure ? 'failed' : 'empty'
}

/**
 * Builds the transition function for the given policies. A request in flight for longer than
 * `staleAfterMs` is given up at the next demand: some runtimes (workerd) drop the pending work of a
 * request that has already answered, and with it the answer and the timeout timer of a background
 * refresh; without this the provider would wait for it forever.
 *
 * @param retry - how attempts back off, when a round gives up, how long a rejected key cools down
 * @param staleAfterMs - how long a request may stay in flight before a demand starts another
 * @param refresh - when a token from the endpoint expires and starts to be refreshed
 * @param maxWaitMs - the longest a caller waits for a token: a Retry-After at least this long ends the
 *   round at once, so that callers fail fast with its error instead of waiting for nothing
 * @example
 * ```ts
 * const step = createStep(DEFAULT_RETRY, 20_000)
 * let state = initialState(1)
 * const demanded = step(state, { type: 'demand' }, Date.now(), performance.now())
 * state = demanded.state // fetching; demanded.effects: fetch, emit fetch_started; demanded.reply: {} (wait)
 * ```
 */
export function createStep(
  retry: RetryPolicy,
  staleAfterMs: number,
  refresh: RefreshPolicy = DEFAULT_REFRESH,
  maxWaitMs: number = Number.POSITIVE_INFINITY,
): Step {
  return (state, event, now, mono = now) => {
    // Closed: nothing changes; a demand gets the closed error, an invalidate `false`.
    if (state.phase.type === 'closed') {
      const { type } = event
      const reply = type === 'demand' ? { error: closedError() } : type === 'invalidate' ? false : undefined
      return { state, effects: [], reply } as never
    }
    // TypeScript cannot tie handlers[event.type] to the event's own type; the table `handlers` does.
    const handle = handlers[event.type] as (
      state: MachineState,
      event: MachineEvent,
      context: Context,
    ) => never
    return handle(state, event, { retry, refresh, staleAfterMs, maxWaitMs, now, mono })
  }
}

/** A caller wants a token: notes [1], [2], [3] of the table. */
function demand(state: MachineState, event: EventOf<'demand'>, context: Context): TransitionTo<'demand'> {
  const { phase } = state
  const { now, mono } = context
  // A request in flight this long lost its answer and its timeout (see createStep): start it anew first.
  // Stryker disable next-line ConditionalExpression: equivalent, only a fetching phase has a startedAt: for another, mono - undefined is NaN and the comparison false
  if (phase.type === 'fetching' && mono - phase.startedAt >= context.staleAfterMs) {
    const restarted = startFetch(state, phase.round, 'retry', context, [{ type: 'abort' }])
    const served = demand(restarted.state, event, context)
    return { ...served, effects: [...restarted.effects, ...served.effects] }
  }
  const token = validToken(state, now, mono)
  const failure = state.failure && mono < state.failure.until ? state.failure : undefined
  const busy = phase.type !== 'idle'
  if (token) {
    const reply = { token: token.accessToken }
    return tokenTime(token, now, mono) >= token.refreshAt && !busy && !failure
      ? { ...startFetch(state, undefined, 'refresh_window', context), reply }
      : { state, effects: [], reply }
  }
  const reason: RefreshReason = state.token ? 'expired' : state.generation ? 'invalidated' : 'cold'
  const cleared = { ...state, token: undefined }
  if (failure) return { state: cleared, effects: [], reply: { error: failure.error } }
  if (busy) return { state: cleared, effects: [], reply: {} }
  return { ...startFetch({ ...cleared, failure: undefined }, undefined, reason, context), reply: {} }
}

/** The request in flight brought a token: note [4]. */
function fetched(state: MachineState, event: EventOf<'fetched'>, context: Context): Transition {
  const { phase } = state
  // Stryker disable next-line ConditionalExpression: equivalent, only a fetching phase has a fetchId: the fetchId comparison rejects the event in any other
  if (phase.type !== 'fetching' || phase.fetchId !== event.fetchId) return { state, effects: [] }
  const { now, mono } = context
  // A token from the endpoint is timed by the refresh policy; one from the store carries its times.
  const stored =
    event.source === 'store'
      ? event.token
      : {
          accessToken: event.answer.accessToken,
          obtainedAt: event.obtainedAt,
          ...tokenTimes(event.obtainedAt, event.answer.expiresInSeconds, event.random, context.refresh),
        }
  const { expiresAt, refreshAt } = stored
  // An answer slower than the token's own lifetime: never settle a caller with an expired token.
  if (now >= expiresAt) {
    const error = new M3terAuthError(
      'invalid_token_response',
      'getToken: the token expired before it arrived',
    )
    // Not retryable, not a rejected key, no Retry-After.
    return endpointFailed(state, phase.round, { error } as TokenFailure, 0, context)
  }
  const generation = state.generation + 1
  const token = { ...stored, generation, offset: mono - now }
  const { source } = event
  return {
    state: { ...state, phase: IDLE, token, generation, failure: undefined, giveUps: 0 },
    effects: [
      { type: 'settle', accessToken: token.accessToken },
      ...(source === 'endpoint' ? [{ type: 'store' as const, token: stored, remove: false }] : []),
      {
        type: 'emit',
        event: {
          type: 'token_fetched',
          generation,
          durationMs: mono - event.startedAt,
          expiresAt,
          refreshAt,
          attempt: phase.round.attempt,
          source,
        },
      },
    ],
  }
}

/** The request in flight failed: note [8]. */
function failed(state: MachineState, event: EventOf<'failed'>, context: Context): Transition {
  const { phase } = state
  const { failure } = event
  // Stryker disable next-line ConditionalExpression: equivalent, only a fetching phase has a fetchId: the fetchId comparison rejects the event in any other
  if (phase.type !== 'fetching' || phase.fetchId !== event.fetchId) return { state, effects: [] }
  return failure.credentialsRejected
    ? keyRejected(state, phase.round, failure.error, context)
    : endpointFailed(state, phase.round, failure, event.random, context)
}

/** The backoff is over: note [9]. */
function timer(state: MachineState, event: EventOf<'timer'>, context: Context): Transition {
  const { phase } = state
  // Stryker disable next-line ConditionalExpression: equivalent, only a backoff phase has a timerId: the timerId comparison rejects the event in any other
  return phase.type === 'backoff' && phase.timerId === event.timerId
    ? startFetch(state, phase.round, 'retry', context)
    : { state, effects: [] }
}

/** An API refused a token: note [5]. */
function invalidate(state: MachineState, event: EventOf<'invalidate'>): TransitionTo<'invalidate'> {
  const { token } = state
  if (token?.accessToken !== event.accessToken) return { state, effects: [], reply: false }
  return {
    state: { ...state, token: undefined },
    effects: [
      { type: 'store', token, remove: true },
      { type: 'emit', event: { type: 'token_invalidated', generation: token.generation } },
    ],
    reply: true,
  }
}

/** New credentials (key rotation): note [6]. */
function credentialsChanged(
  state: MachineState,
  event: EventOf<'credentials_changed'>,
  context: Context,
): Transition {
  const { phase } = state
  const next = { ...state, keyIndex: 0, keyCount: event.keyCount, failure: undefined, giveUps: 0 }
  const effects: Effect[] = [{ type: 'emit', event: { type: 'credentials_changed' } }]
  // A request in flight uses the old key: ask again with the new one and ignore the old answer.
  if (phase.type === 'fetching')
    return startFetch(next, undefined, 'credentials_changed', context, [{ type: 'abort' }, ...effects])
  return {
    // Stryker disable next-line ConditionalExpression: equivalent, the only other phase here is idle, which has no round: `round: undefined` on it reads the same
    state: phase.type === 'backoff' ? { ...next, phase: { ...phase, round: undefined } } : next,
    effects,
  }
}

/** The provider closes: note [7]. */
function close(state: MachineState): Transition {
  return {
    state: { ...state, phase: CLOSED },
    effects: [{ type: 'abort' }, { type: 'settle', error: closedError() }],
  }
}

/** One handler per event type, named after it. */
const handlers: {
  readonly [T in MachineEvent['type']]: (
    state: MachineState,
    event: EventOf<T>,
    context: Context,
  ) => TransitionTo<T>
} = { demand, fetched, failed, timer, invalidate, credentials_changed: credentialsChanged, close }

/** Starts attempt `round.attempt + 1` (a new round without one) with the state's key. */
function startFetch(
  state: MachineState,
  round: Round | undefined,
  reason: RefreshReason,
  context: Context,
  before: Effect[] = [],
): Transition {
  const { mono } = context
  const { keyIndex } = state
  const fetchId = state.lastId + 1
  const started = round ?? { startedAt: mono, attempt: 0, rejectedKeys: 0 }
  const attempt = started.attempt + 1
  return {
    state: {
      ...state,
      lastId: fetchId,
      phase: { type: 'fetching', fetchId, startedAt: mono, round: { ...started, attempt } },
    },
    effects: [
      ...before,
      { type: 'fetch', fetchId, keyIndex },
      { type: 'emit', event: { type: 'fetch_started', reason, attempt, keyIndex } },
    ],
  }
}

/** The token endpoint rejected the key (400, 401, 403): try the pair's other key, or cool down. */
function keyRejected(state: MachineState, round: Round, error: M3terAuthError, context: Context): Transition {
  const { keyIndex, giveUps } = state
  const rejectedKeys = round.rejectedKeys | (1 << keyIndex)
  const other = (keyIndex + 1) % state.keyCount
  const cooldown = context.retry.invalidCredentialsCooldownMs
  const effects: Effect[] = [
    {
      type: 'emit',
      event: {
        type: 'credentials_rejected',
        status: error.status,
        keyIndex,
        cooldownUntil: context.now + cooldown,
      },
    },
  ]
  // The other key of a rotation pair may be the one still active: try it at once (in a full round; a
  // probe after a give-up stays one request).
  if (!giveUps && !(rejectedKeys & (1 << other)))
    return startFetch({ ...state, keyIndex: other }, { ...round, rejectedKeys }, 'retry', context, effects)
  return {
    // The next round (one probe) asks with the other key: probes alternate between the keys of a pair.
    state: {
      ...state,
      phase: IDLE,
      keyIndex: other,
      giveUps: giveUps + 1,
      failure: { error, until: context.mono + cooldown },
    },
    effects: [...effects, { type: 'settle', error }],
  }
}

/** Any other failure: retry after a backoff, or give the round up. */
function endpointFailed(
  state: MachineState,
  round: Round,
  failure: TokenFailure,
  random: number,
  context: Context,
): Transition {
  const { error, retryAfterMs } = failure
  const { retry, now, mono } = context
  const { attempt } = round
  const giveUps = state.giveUps + 1
  const token = validToken(state, now, mono)
  // After a give-up, a round is one attempt (a probe): a failing endpoint then sees one request per cooldown.
  // A server that asks us to stay away longer than any caller waits ends the round too: its callers fail
  // fast with the error (which carries `retryAfterMs`) rather than time out waiting for an attempt.
  const giveUp =
    !failure.retryable ||
    attempt >= retry.maxAttempts ||
    state.giveUps > 0 ||
    mono - round.startedAt >= retry.maxElapsedMs ||
    honouredRetryAfter(retryAfterMs, retry) >= context.maxWaitMs
  // The cooldown after the `giveUps`-th round in a row gave up: the backoff goes on growing where the
  // round's retries stopped, doubling per give-up up to maxDelayMs, and keeps at least half of itself
  // ("equal jitter") so that however often callers ask, a failing endpoint sees a few requests a minute.
  const cooldown = backoffDelay(retry.maxAttempts + giveUps, (1 + random) / 2, retryAfterMs, retry)
  const reported = (retryInMs: number | undefined): Effect => ({
    type: 'emit',
    event: { type: 'refresh_failed', code: error.code, status: error.status, attempt, retryInMs },
  })
  if (giveUp && !token) {
    // Whatever the cause, callers fail fast with this error, and no request starts, until the cooldown
    // has passed: never one token request per demand.
    return {
      state: { ...state, phase: IDLE, giveUps, failure: { error, until: mono + cooldown } },
      effects: [reported(undefined), { type: 'settle', error }],
    }
  }
  // Attempts are left, or a valid token is kept and served (§4.8): try again after a backoff, or once the
  // round has given up, after the cooldown (should the token expire meanwhile, callers fail fast till then).
  const retryInMs = giveUp ? cooldown : backoffDelay(attempt, random, retryAfterMs, retry)
  const timerId = state.lastId + 1
  const retryAt = mono + retryInMs
  const phase: Phase = { type: 'backoff', timerId, retryAt, round: giveUp ? undefined : round }
  const stale: Effect[] = token
    ? [
        {
          type: 'emit',
          event: { type: 'served_stale', generation: token.generation, expiresAt: token.expiresAt },
        },
      ]
    : []
  return {
    state: {
      ...state,
      phase,
      lastId: timerId,
      ...(giveUp && { giveUps, failure: { error, until: retryAt } }),
    },
    effects: [reported(retryInMs), ...stale, { type: 'timer', timerId, at: retryAt }],
  }
}

// `closed`, not `aborted`: that code means the caller's own signal, and a caller must be able to tell
// "I gave up" from "this provider was shut down" (a bug in the order of shutdown, most often).
function closedError(): M3terAuthError {
  return new M3terAuthError('closed', 'getToken: the token provider is closed')
}
