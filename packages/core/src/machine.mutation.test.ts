// @ts-nocheck
import { describe, expect, it } from 'vitest'
import { DEFAULT_RETRY } from './backoff-policy.ts'
import { M3terAuthError } from './errors.ts'
import { createStep, type Effect, initialState, type MachineState, statusOf } from './machine.ts'
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

/** A state fetching its first token, asked at wall `now` and monotonic `mono`. */
function fetching(now = 0, mono = now) {
  const demanded = step(initialState(1), { type: 'demand' }, now, mono)
  const fetch = fetchOf(demanded.effects)
  if (!fetch) throw new Error('expected a fetch')
  return { state: demanded.state, fetchId: fetch.fetchId, effects: demanded.effects }
}

/** The endpoint's answer to request `fetchId`: a token of `seconds` obtained at wall `now`. */
const answered = (fetchId: number, now: number, seconds = 600, mono = now) =>
  ({
    type: 'fetched',
    source: 'endpoint',
    fetchId,
    startedAt: mono,
    obtainedAt: now,
    answer: { accessToken: 'tok', expiresInSeconds: seconds },
    random: 0,
  }) as const

/** A state holding a 10-minute token obtained at 0: expires at 590 s, refresh from 530 s (no jitter). */
function withToken(now = 0, mono = now): MachineState {
  const { state, fetchId } = fetching(now, mono)
  return step(state, answered(fetchId, now, 600, mono), now, mono).state
}

const reasonOf = (effects: readonly Effect[]) =>
  effects.flatMap((e) => (e.type === 'emit' && e.event.type === 'fetch_started' ? [e.event.reason] : []))

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

describe('a wall clock stepped back', () => {
  it('never makes a token look fresher: its age is read through the monotonic clock', () => {
    // Obtained at wall 1_000_000 (monotonic 0); 540 s later by the monotonic clock the wall says 0.
    const state = withToken(1_000_000, 0)
    const later = step(state, { type: 'demand' }, 0, 540_000)
    expect(reasonOf(later.effects)).toEqual(['refresh_window'])
    expect(statusOf(state, 0, 590_000)).toBe('empty')
    expect(statusOf(state, 0, 589_999)).toBe('fresh')
  })
})

describe('what each decision says and does', () => {
  it('serves a fresh token with no effect at all, and names each reason a request starts for', () => {
    const served = step(withToken(), { type: 'demand' }, 1_000)
    expect(served).toMatchObject({ effects: [], reply: { token: 'tok' } })
    expect(reasonOf(fetching().effects)).toEqual(['cold'])
    expect(reasonOf(step(withToken(), { type: 'demand' }, 590_000).effects)).toEqual(['expired'])
    expect(reasonOf(step(fetching(0).state, { type: 'demand' }, STALE_MS).effects)).toEqual(['retry'])
  })

  it('has a waiting caller wait with no effect, and a failing one fail with no effect', () => {
    const { state, fetchId } = fetching()
    expect(step(state, { type: 'demand' }, 1)).toMatchObject({ effects: [], reply: {} })
    const failed = step(state, { type: 'failed', fetchId, failure: rejected, random: 0.5 }, 1).state
    expect(statusOf(failed, 1, 1)).toBe('failed')
    expect(step(failed, { type: 'demand' }, 2)).toMatchObject({
      effects: [],
      reply: { error: rejected.error },
    })
  })

  it('ignores an answer or a failure for a request that is not the one in flight', () => {
    const { state, fetchId } = fetching()
    for (const event of [
      answered(fetchId + 1, 0),
      { type: 'failed', fetchId: fetchId + 1, failure: rejected, random: 0.5 } as const,
    ]) {
      const ignored = step(state, event, 0)
      expect(ignored.state).toBe(state)
      expect(ignored.effects).toEqual([])
    }
    const idle = withToken()
    expect(step(idle, answered(fetchId, 0), 0)).toEqual({ state: idle, effects: [] })
    expect(step(idle, { type: 'failed', fetchId, failure: rejected, random: 0.5 }, 0)).toEqual({
      state: idle,
      effects: [],
    })
  })

  it('refuses a token that arrives exactly at its expiry, and says so', () => {
    // 60 s: a quarter (15 s) is over the 10 s skew, so it expires 50 s after it was obtained.
    const { state, fetchId } = fetching()
    const late = step(state, answered(fetchId, 0, 60), 50_000)
    expect(late.state.token).toBeUndefined()
    const failure = late.effects.find((e) => e.type === 'settle')
    expect(failure).toMatchObject({ error: { message: 'getToken: the token expired before it arrived' } })
  })

  it("stores a token from the endpoint, never one read from the store, and times the request's duration", () => {
    const { state, fetchId } = fetching(0, 100)
    const fromEndpoint = step(state, answered(fetchId, 0, 600, 100), 0, 350)
    expect(fromEndpoint.effects.map((e) => e.type)).toEqual(['settle', 'store', 'emit'])
    expect(fromEndpoint.effects[2]).toMatchObject({ event: { type: 'token_fetched', durationMs: 250 } })
    const token = { accessToken: 'tok', obtainedAt: 0, refreshAt: 530_000, expiresAt: 590_000 }
    const fromStore = step(
      state,
      { type: 'fetched', source: 'store', fetchId, token, startedAt: 100 },
      0,
      350,
    )
    expect(fromStore.effects.map((e) => e.type)).toEqual(['settle', 'emit'])
  })

  it('once closed, answers a demand with the closed error, an invalidate with false, anything else with nothing', () => {
    const closed = step(withToken(), { type: 'close' }, 0).state
    // The message says what happened (a caller reading only the message must not mistake it for an abort).
    expect(step(closed, { type: 'demand' }, 0).reply).toMatchObject({
      error: { code: 'closed', message: expect.stringMatching(/token provider is closed/) },
    })
    expect(step(closed, { type: 'invalidate', accessToken: 'tok' }, 0).reply).toBe(false)
    expect(step(closed, { type: 'timer', timerId: 1 }, 0).reply).toBeUndefined()
    expect(step(closed, answered(1, 0), 0)).toEqual({ state: closed, effects: [], reply: undefined })
  })
})

describe('the status a snapshot shows', () => {
  it('tells fetching a first token from refreshing a valid one, and shows closed', () => {
    expect(statusOf(fetching().state, 0, 0)).toBe('fetching')
    const refreshing = step(withToken(), { type: 'demand' }, 530_000).state
    expect(statusOf(refreshing, 530_000, 530_000)).toBe('refreshing')
    expect(statusOf(refreshing, 590_000, 590_000)).toBe('fetching')
    expect(statusOf(initialState(1), 0, 0)).toBe('empty')
    expect(statusOf(step(withToken(), { type: 'close' }, 0).state, 0, 0)).toBe('closed')
  })
})

describe('timers, invalidations and new credentials', () => {
  const unavailable: TokenFailure = {
    error: new M3terAuthError('token_endpoint_unavailable', 'POST t: answered 503', { status: 503 }),
    retryable: true,
    credentialsRejected: false,
    retryAfterMs: undefined,
  }
  /** A state backing off after a first 503 at `mono`, its round started at 0. */
  const backingOff = (mono = 0) => {
    const { state, fetchId } = fetching()
    return step(state, { type: 'failed', fetchId, failure: unavailable, random: 0.5 }, mono)
  }

  it('starts each request with exactly its fetch and its event, numbered one after the other', () => {
    const first = fetching()
    expect(first.effects.map((e) => e.type)).toEqual(['fetch', 'emit'])
    expect(first.fetchId).toBe(1)
    const timerId = (backingOff().state.phase as { timerId: number }).timerId
    const retried = step(backingOff().state, { type: 'timer', timerId }, 1_000)
    // Timers and requests share one counter.
    expect(fetchOf(retried.effects)?.fetchId).toBe(timerId + 1)
    expect(reasonOf(retried.effects)).toEqual(['retry'])
  })

  it('ignores a timer that is not the backoff one, or that comes when not backing off', () => {
    const { state } = backingOff()
    const timerId = (state.phase as { timerId: number }).timerId
    expect(step(state, { type: 'timer', timerId: timerId + 1 }, 1_000)).toEqual({ state, effects: [] })
    const idle = withToken()
    expect(step(idle, { type: 'timer', timerId }, 1_000)).toEqual({ state: idle, effects: [] })
  })

  it('numbers each backoff timer anew: a timer left from an earlier backoff never fires a later one', () => {
    const first = backingOff().state
    const firstTimer = (first.phase as { timerId: number }).timerId
    const retried = step(first, { type: 'timer', timerId: firstTimer }, 1_000)
    const fetchId = fetchOf(retried.effects)?.fetchId ?? 0
    const second = step(
      retried.state,
      { type: 'failed', fetchId, failure: unavailable, random: 0.5 },
      1_000,
    ).state
    expect(second.phase.type).toBe('backoff')
    expect((second.phase as { timerId: number }).timerId).not.toBe(firstTimer)
    expect(step(second, { type: 'timer', timerId: firstTimer }, 5_000)).toEqual({
      state: second,
      effects: [],
    })
  })

  it('backs off without a token with exactly its event and its timer: nothing about a stale token', () => {
    const { effects } = backingOff()
    expect(types(effects)).toEqual(['emit', 'timer'])
    expect(effects[0]).toMatchObject({ event: { type: 'refresh_failed' } })
  })

  it('gives a round up at exactly maxElapsedMs, not a millisecond before', () => {
    const { state, fetchId } = fetching()
    const before = step(state, { type: 'failed', fetchId, failure: unavailable, random: 0.5 }, 59_999)
    expect(before.state.phase.type).toBe('backoff')
    const at = step(state, { type: 'failed', fetchId, failure: unavailable, random: 0.5 }, 60_000)
    expect(at.state.phase.type).toBe('idle')
    expect(at.state.giveUps).toBe(1)
  })

  it('answers false, with no effect, to an invalidate of a token it does not hold', () => {
    const idle = withToken()
    expect(step(idle, { type: 'invalidate', accessToken: 'other' }, 0)).toEqual({
      state: idle,
      effects: [],
      reply: false,
    })
  })

  it('on new credentials: says so, asks again at once when fetching, ends the round of a backoff', () => {
    const idle = withToken()
    const announced = { type: 'emit', event: { type: 'credentials_changed' } }
    expect(step(idle, { type: 'credentials_changed', keyCount: 1 }, 0).effects).toEqual([announced])
    const { state } = fetching()
    const restarted = step(state, { type: 'credentials_changed', keyCount: 1 }, 0)
    expect(restarted.effects.slice(0, 3)).toEqual([
      { type: 'abort' },
      announced,
      expect.objectContaining({ type: 'fetch' }),
    ])
    expect(reasonOf(restarted.effects)).toEqual(['credentials_changed'])
    const backoff = step(backingOff().state, { type: 'credentials_changed', keyCount: 1 }, 0)
    expect(backoff.state.phase).toMatchObject({ type: 'backoff', round: undefined })
    expect(backoff.effects).toEqual([announced])
  })

  it('on a rejected key: says until when it cools down, tries the other key of a pair at once, counts the give-up', () => {
    const demanded = step(initialState(2), { type: 'demand' }, 5_000)
    const fetchId = fetchOf(demanded.effects)?.fetchId ?? 0
    const other = step(demanded.state, { type: 'failed', fetchId, failure: rejected, random: 0.5 }, 5_000)
    expect(other.effects[0]).toMatchObject({ event: { type: 'credentials_rejected', cooldownUntil: 65_000 } })
    expect(reasonOf(other.effects)).toEqual(['retry'])
    const alone = step(fetching().state, { type: 'failed', fetchId: 1, failure: rejected, random: 0.5 }, 0)
    expect(alone.state.giveUps).toBe(1)
  })
})
