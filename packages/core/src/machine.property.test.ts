import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { runs } from '../test/runs.ts'
import { DEFAULT_RETRY } from './backoff-policy.ts'
import { M3terAuthError } from './errors.ts'
import { createStep, type Effect, initialState, type MachineEvent, type MachineState } from './machine.ts'
import { DEFAULT_REFRESH, tokenTimes } from './refresh-policy.ts'
import type { TokenFailure } from './token-failure.ts'

// Model-based test of the pure state machine. A harness plays the provider (pending request, timer,
// waiters) on a fake clock; a reference model says which token must be served. Invariants are checked
// after every command.

type Command =
  | { kind: 'demand' }
  | { kind: 'advance'; ms: number }
  | { kind: 'answer'; expiresIn: number }
  | { kind: 'fail'; failure: 'retryable' | 'credentials' | 'malformed'; retryAfter: number | undefined }
  | { kind: 'invalidate'; which: 'current' | 'older' }
  | { kind: 'rotate'; keys: 1 | 2 }
  | { kind: 'jump'; to: 'refreshAt' | 'expiresAt'; offset: -1 | 0 | 1 }

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'demand' as const }) },
  {
    weight: 3,
    arbitrary: fc
      .oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 20_000_000 }))
      .map((ms) => ({ kind: 'advance' as const, ms })),
  },
  {
    weight: 3,
    arbitrary: fc
      .oneof(fc.constant(18_000), fc.integer({ min: 1, max: 100_000 }))
      .map((expiresIn) => ({ kind: 'answer' as const, expiresIn })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('fail' as const),
      failure: fc.constantFrom('retryable' as const, 'credentials' as const, 'malformed' as const),
      retryAfter: fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('current' as const, 'older' as const)
      .map((which) => ({ kind: 'invalidate' as const, which })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(1 as const, 2 as const).map((keys) => ({ kind: 'rotate' as const, keys })),
  },
  // Random advances rarely land on the edges that matter, so jump there on purpose.
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('jump' as const),
      to: fc.constantFrom('refreshAt' as const, 'expiresAt' as const),
      offset: fc.constantFrom(-1 as const, 0 as const, 1 as const),
    }),
  },
)

const SECRET = 'api-secret-never-seen'

function failureOf(
  kind: 'retryable' | 'credentials' | 'malformed',
  retryAfter: number | undefined,
): TokenFailure {
  switch (kind) {
    case 'retryable':
      return {
        error: new M3terAuthError('token_endpoint_unavailable', 'POST t: answered 503', { status: 503 }),
        retryable: true,
        credentialsRejected: false,
        retryAfterMs: retryAfter,
      }
    case 'credentials':
      return {
        error: new M3terAuthError('invalid_credentials', 'POST t: answered 401', { status: 401 }),
        retryable: false,
        credentialsRejected: true,
        retryAfterMs: undefined,
      }
    case 'malformed':
      return {
        error: new M3terAuthError('invalid_token_response', 'POST t: not JSON'),
        retryable: false,
        credentialsRejected: false,
        retryAfterMs: undefined,
      }
  }
}

class Harness {
  readonly step = createStep(DEFAULT_RETRY, 20_000)
  state: MachineState = initialState(1)
  now = 1_000_000
  pending: number | undefined
  timer: { id: number; at: number } | undefined
  waiters = 0
  issued: string[] = []
  serial = 0
  events: unknown[] = []
  /** The reference model: the token that must be served while it has not expired. */
  model: { value: string; expiresAt: number } | undefined

  dispatch(event: MachineEvent) {
    const before = this.state
    const transition = this.step(this.state, event, this.now)
    this.state = transition.state
    for (const effect of transition.effects) this.perform(effect)
    return { before, transition }
  }

  perform(effect: Effect) {
    switch (effect.type) {
      case 'fetch':
        expect(this.pending, 'at most one token request in flight').toBeUndefined()
        this.pending = effect.fetchId
        break
      case 'abort':
        this.pending = undefined
        this.timer = undefined
        break
      case 'timer':
        this.timer = { id: effect.timerId, at: effect.at }
        break
      case 'settle':
        this.waiters = 0
        break
      case 'emit':
        this.events.push(effect.event)
        break
      default:
        break
    }
  }

  run(cmd: Command) {
    switch (cmd.kind) {
      case 'demand': {
        const { transition } = this.dispatch({ type: 'demand' })
        const reply = transition.reply as { token?: string; error?: unknown }
        if (reply.token) {
          expect(this.model, 'served a token the model does not know').toBeDefined()
          expect(reply.token).toBe(this.model?.value)
          expect(this.now, 'never an expired token').toBeLessThan(this.model?.expiresAt ?? 0)
        } else {
          expect(
            this.model === undefined || this.now >= this.model.expiresAt,
            'a valid token must be served at once',
          ).toBe(true)
        }
        if (!reply.token && !reply.error) this.waiters++
        break
      }
      case 'advance': {
        this.now += cmd.ms
        if (this.timer && this.timer.at <= this.now) {
          const { id } = this.timer
          this.timer = undefined
          this.dispatch({ type: 'timer', timerId: id })
        }
        break
      }
      case 'answer': {
        if (this.pending === undefined) break
        const accessToken = `tok${++this.serial}`
        this.issued.push(accessToken)
        const fetchId = this.pending
        this.pending = undefined
        this.dispatch({
          type: 'fetched',
          source: 'endpoint',
          fetchId,
          startedAt: this.now,
          obtainedAt: this.now,
          answer: { accessToken, expiresInSeconds: cmd.expiresIn },
          random: 0.5,
        })
        const token = this.state.token
        expect(token?.accessToken).toBe(accessToken)
        // The machine times the token by the refresh policy, from the request's start and the drawn random.
        const times = tokenTimes(this.now, cmd.expiresIn, 0.5, DEFAULT_REFRESH)
        expect(token).toMatchObject({ obtainedAt: this.now, ...times })
        this.model = { value: accessToken, expiresAt: token?.expiresAt ?? 0 }
        break
      }
      case 'fail': {
        if (this.pending === undefined) break
        const fetchId = this.pending
        this.pending = undefined
        const validBefore =
          this.model !== undefined && this.now < this.model.expiresAt ? this.model.value : undefined
        this.dispatch({
          type: 'failed',
          fetchId,
          failure: failureOf(cmd.failure, cmd.retryAfter),
          random: 0.5,
        })
        if (validBefore !== undefined) {
          expect(this.state.token?.accessToken, 'a failed refresh never discards a valid token').toBe(
            validBefore,
          )
        }
        break
      }
      case 'invalidate': {
        const target =
          cmd.which === 'current'
            ? this.state.token?.accessToken
            : this.issued.find((t) => t !== this.state.token?.accessToken)
        if (target === undefined) break
        const before = this.state.token
        const { transition } = this.dispatch({ type: 'invalidate', accessToken: target })
        if (cmd.which === 'older') {
          expect(transition.reply, 'invalidating an older generation does nothing').toBe(false)
          expect(this.state.token).toBe(before)
        } else {
          expect(transition.reply).toBe(true)
          this.model = undefined
        }
        break
      }
      case 'jump': {
        const target = this.state.token?.[cmd.to]
        if (target !== undefined && target + cmd.offset > this.now)
          this.run({ kind: 'advance', ms: target + cmd.offset - this.now })
        break
      }
      case 'rotate':
        this.dispatch({ type: 'credentials_changed', keyCount: cmd.keys })
        break
    }
    // Liveness: a waiter always has something coming, a request or a timer.
    if (this.waiters > 0)
      expect(this.pending !== undefined || this.timer !== undefined, 'a waiter with nothing to wake it').toBe(
        true,
      )
    const seen = JSON.stringify(this.events)
    expect(seen).not.toContain(SECRET)
    for (const token of this.issued) expect(seen).not.toContain(token)
  }

  /** Lets the token endpoint recover: every waiter must then settle. */
  drain() {
    for (let i = 0; i < 50 && this.waiters > 0; i++) {
      if (this.pending !== undefined) this.run({ kind: 'answer', expiresIn: 18_000 })
      else if (this.timer) this.run({ kind: 'advance', ms: this.timer.at - this.now })
    }
    expect(this.waiters, 'every waiter settles').toBe(0)
  }
}

describe('token state machine, model-based', () => {
  it('keeps every invariant over random command sequences (§4.2, §4.3, §4.4, §4.7, §4.8, §4.10)', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 80 }), (commands) => {
        const harness = new Harness()
        for (const cmd of commands) harness.run(cmd)
        harness.drain()
      }),
      { numRuns: runs(1_000) },
    )
  })
})

// However often callers demand, a token endpoint that keeps failing (in any way: 5xx with or without
// Retry-After, malformed answers, rejected keys, hangs) sees a bounded number of requests per minute.
// With DEFAULT_RETRY and the worst draws (random 0: the shortest backoffs and cooldowns) the first minute
// holds one round of at most maxAttempts + 1 requests (the second key of a pair is tried at once) and a
// probe (one request) after each cooldown of at least 1.6, 3.2, 6.4, 12.8, then 15 s: 11 in all. Once five
// rounds in a row have given up, the cooldowns are grown: any minute holds at most five probes. (Minutes
// count from the first request of a failure, not from the start: callers may stay idle for a while.)
const FIRST_MINUTE_LIMIT = 11
const LATER_MINUTE_LIMIT = 5

const failingStep = fc.record({
  gap: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 5_000 })),
  demands: fc.integer({ min: 0, max: 5 }),
  outcome: fc.constantFrom(
    'retryable' as const,
    'retryAfter' as const,
    'credentials' as const,
    'malformed' as const,
    'hang' as const,
  ),
  retryAfter: fc.integer({ min: 0, max: 120_000 }),
  random: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })),
})

describe('token state machine against an endpoint that keeps failing', () => {
  it('a failing endpoint sees a bounded number of requests per minute however often callers demand (§4.7)', () => {
    fc.assert(
      fc.property(
        fc.array(failingStep, { minLength: 1, maxLength: 600, size: 'max' }),
        fc.boolean(),
        fc.constantFrom(1, 2),
        (steps, warm, keys) => {
          const step = createStep(DEFAULT_RETRY, 20_000)
          let state = initialState(keys)
          let now = 1_000_000
          let pending: number | undefined
          let timer: { id: number; at: number } | undefined
          const requests: Array<{ at: number; giveUps: number }> = []
          const dispatch = (event: MachineEvent) => {
            const transition = step(state, event, now)
            state = transition.state
            for (const effect of transition.effects) {
              if (effect.type === 'fetch') {
                pending = effect.fetchId
                requests.push({ at: now, giveUps: state.giveUps })
              } else if (effect.type === 'abort') {
                pending = undefined
                timer = undefined
              } else if (effect.type === 'timer') timer = { id: effect.timerId, at: effect.at }
            }
          }
          if (warm) {
            // A valid token whose refreshes all fail (§4.8 keeps it served meanwhile).
            dispatch({ type: 'demand' })
            const answer = { accessToken: 'tok', expiresInSeconds: 120 }
            const fetchId = pending ?? 0
            dispatch({
              type: 'fetched',
              source: 'endpoint',
              fetchId,
              startedAt: now,
              obtainedAt: now,
              answer,
              random: 0,
            })
            requests.length = 0
          }
          for (const s of steps) {
            const target = now + s.gap
            // Bounded by count: a timer that re-arms itself at the same time would spin here synchronously,
            // where no test timeout can fire.
            for (let fired = 0; timer && timer.at <= target; fired++) {
              if (fired >= 1_000) throw new Error(`more than 1,000 timers due by ${target}: a timer loop`)
              now = timer.at
              const { id } = timer
              timer = undefined
              dispatch({ type: 'timer', timerId: id })
            }
            now = target
            for (let i = 0; i < s.demands; i++) dispatch({ type: 'demand' })
            if (pending !== undefined && s.outcome !== 'hang') {
              const fetchId = pending
              pending = undefined
              const kind = s.outcome === 'retryAfter' ? 'retryable' : s.outcome
              const failure = failureOf(kind, s.outcome === 'retryAfter' ? s.retryAfter : undefined)
              dispatch({ type: 'failed', fetchId, failure, random: s.random })
            }
          }
          for (const [i, { at, giveUps }] of requests.entries()) {
            const inMinute = requests.slice(i).filter((r) => r.at < at + 60_000).length
            const limit = giveUps >= 5 ? LATER_MINUTE_LIMIT : FIRST_MINUTE_LIMIT
            if (inMinute > limit)
              throw new Error(
                `${inMinute} token requests in the minute from request ${i} (${giveUps} give-ups)`,
              )
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})
