import { describe, expect, it } from 'vitest'
import { DEFAULT_RETRY } from './backoff-policy.ts'
import { M3terAuthError } from './errors.ts'
import { createStep, type Effect, initialState, type MachineState } from './machine.ts'
import { DEFAULT_REFRESH } from './refresh-policy.ts'
import type { TokenFailure } from './token-failure.ts'

// Decisions of the state machine that a one-line change to machine.ts got past the other tests with (found
// by mutation testing, issue 28): a key rejected during a refresh-ahead, stale requests judged on the
// monotonic clock.

const STALE_MS = 20_000
const step = createStep(DEFAULT_RETRY, STALE_MS, { ...DEFAULT_REFRESH, jitter: 0 })
const rejected: TokenFailure = {
  error: new M3terAuthError('invalid_credentials', 'POST t: answered 401', { status: 401 }),
  retryable: false,
  credentialsRejected: true,
  retryAfterMs: undefined,
}
const fetchOf = (effects: readonly Effect[]) =>
  effects.find((e): e is Extract<Effect, { type: 'fetch' }> => e.type === 'fetch')
const types = (effects: readonly Effect[]) => effects.map((e) => e.type)

/** A state holding a 10-minute token obtained at 0: expires at 590 s, refresh from 530 s (no jitter). */
function withToken(): MachineState {
  const demanded = step(initialState(1), { type: 'demand' }, 0)
  const fetch = fetchOf(demanded.effects)
  if (!fetch) throw new Error('expected a fetch')
  const event = {
    type: 'fetched',
    source: 'endpoint',
    fetchId: fetch.fetchId,
    startedAt: 0,
    obtainedAt: 0,
    answer: { accessToken: 'tok', expiresInSeconds: 600 },
    random: 0,
  } as const
  return step(demanded.state, event, 0).state
}

describe('a key rejected during a refresh-ahead', () => {
  it('keeps serving the token without asking again until the cooldown ends', () => {
    const refreshing = step(withToken(), { type: 'demand' }, 530_000)
    expect(refreshing.reply).toEqual({ token: 'tok' })
    const fetch = fetchOf(refreshing.effects)
    if (!fetch) throw new Error('expected the refresh to start at refreshAt')
    let state = step(
      refreshing.state,
      { type: 'failed', fetchId: fetch.fetchId, failure: rejected, random: 0.5 },
      531_000,
    ).state
    for (const now of [531_000, 550_000, 589_999]) {
      const demanded = step(state, { type: 'demand' }, now)
      expect(demanded.reply).toEqual({ token: 'tok' })
      expect(fetchOf(demanded.effects)).toBeUndefined()
      state = demanded.state
    }
  })

  it('starts no refresh a millisecond before refreshAt, and one at it', () => {
    expect(fetchOf(step(withToken(), { type: 'demand' }, 529_999).effects)).toBeUndefined()
    expect(fetchOf(step(withToken(), { type: 'demand' }, 530_000).effects)).toBeDefined()
  })
})

describe('a request in flight too long', () => {
  const started = () => step(initialState(1), { type: 'demand' }, 1_000_000, 0).state

  it('is judged by the monotonic clock: a wall clock stepped forward restarts nothing', () => {
    const later = step(started(), { type: 'demand' }, 1_000_000 + 3_600_000, STALE_MS - 1)
    expect(types(later.effects)).toEqual([])
    expect(later.reply).toEqual({})
  })

  it('is aborted and asked anew at staleAfterMs of monotonic time, whatever the wall clock says', () => {
    const stale = step(started(), { type: 'demand' }, 0, STALE_MS)
    expect(types(stale.effects)).toContain('abort')
    expect(fetchOf(stale.effects)).toBeDefined()
    expect(stale.reply).toEqual({})
  })
})
