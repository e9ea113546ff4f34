import { describe, expect, it } from 'vitest'
import { DEFAULT_RETRY } from './backoff-policy.ts'
import { M3terAuthError } from './errors.ts'
import { createStep, type Effect, initialState, type MachineState, type Phase } from './machine.ts'
import type { TokenFailure } from './token-failure.ts'

const step = createStep(DEFAULT_RETRY, 20_000)
const malformed: TokenFailure = {
  error: new M3terAuthError('invalid_token_response', 'POST t: not JSON'),
  retryable: false,
  credentialsRejected: false,
  retryAfterMs: undefined,
}
const unavailable = (retryAfterMs?: number): TokenFailure => ({
  error: new M3terAuthError('token_endpoint_unavailable', 'POST t: answered 503', { status: 503 }),
  retryable: true,
  credentialsRejected: false,
  retryAfterMs,
})

/** Demands at `now`; answers the request that starts (if any) with `failure`. */
function failOnce(state: MachineState, now: number, failure: TokenFailure, random = 0.5) {
  const demanded = step(state, { type: 'demand' }, now)
  const fetch = demanded.effects.find((e): e is Extract<Effect, { type: 'fetch' }> => e.type === 'fetch')
  if (!fetch) return { state: demanded.state, reply: demanded.reply, fetched: false }
  const failed = step(demanded.state, { type: 'failed', fetchId: fetch.fetchId, failure, random }, now)
  return { state: failed.state, reply: demanded.reply, fetched: true }
}

/** The state's phase, which must be of this type. */
function phaseOf<T extends Phase['type']>(state: MachineState, type: T): Extract<Phase, { type: T }> {
  expect(state.phase.type).toBe(type)
  return state.phase as Extract<Phase, { type: T }>
}

describe('after a give-up', () => {
  it('callers fail fast for a cooldown that grows per give-up in a row, jittered, capped', () => {
    let state = initialState(1)
    let now = 0
    const cooldowns: number[] = []
    for (let i = 0; i < 7; i++) {
      const round = failOnce(state, now, malformed)
      expect(round.fetched).toBe(true)
      state = round.state
      const until = state.failure?.until ?? 0
      cooldowns.push(until - now)
      // Until then: the same error at once, and no request.
      const during = failOnce(state, until - 1, malformed)
      expect(during.fetched).toBe(false)
      expect(during.reply.error).toBe(malformed.error)
      now = until
    }
    // Three quarters (random 0.5) of 200 ms * 2^(4 + n - 1), capped at 30 s.
    expect(cooldowns).toEqual([2_400, 4_800, 9_600, 19_200, 22_500, 22_500, 22_500])
  })

  it('at least half of the ceiling is kept whatever the draw; Retry-After is a floor beyond maxDelayMs, up to maxRetryAfterMs', () => {
    expect(failOnce(initialState(1), 0, malformed, 0).state.failure?.until).toBe(1_600)
    expect(failOnce(initialState(1), 0, malformed, 0.999_999).state.failure?.until).toBe(3_199)
    const probe = { ...initialState(1), giveUps: 1 }
    expect(failOnce(probe, 0, unavailable(20_000)).state.failure?.until).toBe(20_000)
    expect(failOnce(probe, 0, unavailable(600_000)).state.failure?.until).toBe(600_000)
    expect(failOnce(probe, 0, unavailable(7_200_000)).state.failure?.until).toBe(3_600_000)
  })

  it('the next round is one request; a token resets both the cooldown and the round', () => {
    let state = initialState(1)
    // A full round of 503s: four requests (retries on the timer), then a give-up.
    state = failOnce(state, 0, unavailable()).state
    for (let attempt = 2; attempt <= 4; attempt++) {
      const { timerId, retryAt } = phaseOf(state, 'backoff')
      const fired = step(state, { type: 'timer', timerId }, retryAt)
      const { fetchId } = phaseOf(fired.state, 'fetching')
      state = step(fired.state, { type: 'failed', fetchId, failure: unavailable(), random: 0.5 }, 0).state
    }
    expect(state.giveUps).toBe(1)
    expect(state.phase.type).toBe('idle')
    // After the cooldown: one probe, and a 503 gives up again at once.
    const probe = failOnce(state, 2_400, unavailable())
    expect(probe.state.giveUps).toBe(2)
    expect(probe.state.phase.type).toBe('idle')
    // A token arrives: the next failure gets a full round again.
    const demanded = step(probe.state, { type: 'demand' }, 10_000)
    const token = { accessToken: 't', obtainedAt: 10_000, expiresAt: 10_100, refreshAt: 10_050 }
    const { fetchId } = phaseOf(demanded.state, 'fetching')
    const fetched = step(
      demanded.state,
      { type: 'fetched', source: 'store', fetchId, token, startedAt: 10_000 },
      10_000,
    )
    expect(fetched.state.giveUps).toBe(0)
    const again = failOnce({ ...fetched.state, token: undefined }, 20_000, unavailable())
    expect(again.state.phase.type).toBe('backoff')
  })

  it('with a valid token, a give-up keeps serving it and retries on the timer after the cooldown', () => {
    const token = {
      accessToken: 't',
      obtainedAt: 0,
      expiresAt: 100_000,
      refreshAt: 50_000,
      generation: 1,
      offset: 0,
    }
    const state = { ...initialState(1), token, generation: 1 }
    const demanded = step(state, { type: 'demand' }, 50_000)
    expect(demanded.reply).toEqual({ token: 't' })
    const { fetchId } = phaseOf(demanded.state, 'fetching')
    const failed = step(demanded.state, { type: 'failed', fetchId, failure: malformed, random: 0.5 }, 50_000)
    const backoff = phaseOf(failed.state, 'backoff')
    expect(backoff.retryAt).toBe(52_400)
    expect(failed.effects).toContainEqual({ type: 'timer', timerId: backoff.timerId, at: 52_400 })
    expect(step(failed.state, { type: 'demand' }, 51_000).reply.token).toBe('t')
  })

  it('a token that expires during the cooldown: callers fail fast with the error rather than wait', () => {
    const token = {
      accessToken: 't',
      obtainedAt: 0,
      expiresAt: 51_000,
      refreshAt: 50_000,
      generation: 1,
      offset: 0,
    }
    const state = { ...initialState(1), token, generation: 1 }
    const demanded = step(state, { type: 'demand' }, 50_000)
    const { fetchId } = phaseOf(demanded.state, 'fetching')
    const failed = step(demanded.state, { type: 'failed', fetchId, failure: malformed, random: 0.5 }, 50_000)
    expect(step(failed.state, { type: 'demand' }, 52_000).reply.error).toBe(malformed.error)
  })

  it('cooldowns run on the monotonic clock: a wall clock stepped back does not stretch them', () => {
    const failed = failOnce(initialState(1), 0, malformed)
    // Wall time an hour behind, monotonic time just past the cooldown: a new request starts.
    const demanded = step(failed.state, { type: 'demand' }, 2_400 - 3_600_000, 2_400)
    expect(demanded.effects.some((e) => e.type === 'fetch')).toBe(true)
  })

  it('with [primary, secondary] both rejected, the probes after each cooldown alternate between the keys', () => {
    const rejected: TokenFailure = {
      error: new M3terAuthError('invalid_credentials', 'POST t: answered 401', { status: 401 }),
      retryable: false,
      credentialsRejected: true,
      retryAfterMs: undefined,
    }
    let state = initialState(2)
    const keys: number[] = []
    let now = 0
    for (let i = 0; i < 5; i++) {
      const demanded = step(state, { type: 'demand' }, now)
      state = demanded.state
      for (let guard = 0; state.phase.type === 'fetching' && guard < 3; guard++) {
        const { fetchId } = state.phase
        const fetch = step(state, { type: 'failed', fetchId, failure: rejected, random: 0.5 }, now)
        keys.push(state.keyIndex)
        state = fetch.state
      }
      now = state.failure?.until ?? now
    }
    // A full round tries both keys at once; each later probe is one request, with the other key each time.
    expect(keys).toEqual([0, 1, 0, 1, 0, 1])
  })
})
