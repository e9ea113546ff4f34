import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'
import { describe, expect, it } from 'vitest'
import type { Clock } from '../src/clock.ts'
import { createMemoryStore } from '../src/memory-store.ts'
import { createTokenProvider } from '../src/provider.ts'
import { printed, settle } from './harness.ts'

// Every time option is finite, and no timer is ever armed beyond 2^31-1 ms (§4.7): Node, browsers and
// workerd run a longer timer after 1 ms. `retry.maxDelayMs: Infinity` with a large Retry-After used to make
// 840 token requests in 3 s while a valid token was held; `timeoutMs: Infinity` made every attempt time out
// at once.

const MAX_TIMER_MS = 2 ** 31 - 1
const credentials = { accessKeyId: 'AKIA-ranges', apiSecret: 'ranges-secret-never-shown' }

function refusal(options: Parameters<typeof createTokenProvider>[0]): unknown {
  try {
    createTokenProvider({ credentials, ...options })
  } catch (error) {
    return error
  }
  return undefined
}

const timeOptions: Array<[string, (value: number) => Parameters<typeof createTokenProvider>[0]]> = [
  ['timeoutMs', (v) => ({ timeoutMs: v })],
  ['maxWaitMs', (v) => ({ maxWaitMs: v })],
  ['refresh.minWindowMs', (v) => ({ refresh: { minWindowMs: v } })],
  ['refresh.maxWindowMs', (v) => ({ refresh: { maxWindowMs: v } })],
  ['refresh.skewMs', (v) => ({ refresh: { skewMs: v } })],
  ['retry.baseDelayMs', (v) => ({ retry: { baseDelayMs: v } })],
  ['retry.maxDelayMs', (v) => ({ retry: { maxDelayMs: v } })],
  ['retry.maxElapsedMs', (v) => ({ retry: { maxElapsedMs: v } })],
  ['retry.invalidCredentialsCooldownMs', (v) => ({ retry: { invalidCredentialsCooldownMs: v } })],
  ['retry.maxRetryAfterMs', (v) => ({ retry: { maxRetryAfterMs: v } })],
  ['store.timeoutMs', (v) => ({ store: { ...createMemoryStore(), timeoutMs: v } })],
]

describe('§4.7 every time option is finite', () => {
  for (const [name, options] of timeOptions)
    it.each([Number.POSITIVE_INFINITY, Number.NaN, -1])(
      `${name}: %s is refused with invalid_options`,
      (value) => {
        const error = refusal(options(value))
        expect(error).toMatchObject({ code: 'invalid_options' })
        expect((error as Error).message).toContain(name)
        expect(printed(error)).not.toContain(credentials.apiSecret)
      },
    )

  it.each([
    ['retry.maxAttempts', { retry: { maxAttempts: Number.POSITIVE_INFINITY } }],
    ['refresh.fraction', { refresh: { fraction: Number.NaN } }],
    ['refresh.jitter', { refresh: { jitter: Number.POSITIVE_INFINITY } }],
  ])('%s must be finite too', (name, options) => {
    const error = refusal(options)
    expect(error).toMatchObject({ code: 'invalid_options' })
    expect((error as Error).message).toContain(name)
  })

  it('timeoutMs and maxWaitMs must be at least 1 ms', () => {
    expect(refusal({ timeoutMs: 0 })).toMatchObject({ code: 'invalid_options' })
    expect(refusal({ maxWaitMs: 0 })).toMatchObject({ code: 'invalid_options' })
  })
})

describe('§4.7 no timer beyond 2^31-1 ms', () => {
  it('finite options beyond it are clamped, and so is a Retry-After of 30 days: every timer is within it', async () => {
    const manual = createManualClock()
    const m3ter = await startMockM3ter({ clock: manual })
    const delays: number[] = []
    // The manual clock, recording every delay core asks for: a real runtime would run any over 2^31-1 at once.
    const clock: Clock = {
      now: () => manual.now(),
      monotonic: () => manual.monotonic(),
      setTimeout: (callback, ms) => {
        delays.push(ms)
        return manual.setTimeout(callback, ms)
      },
      clearTimeout: (handle) => manual.clearTimeout(handle),
    }
    const auth = createTokenProvider({
      credentials: m3ter.keys[0]!,
      tokenUrl: m3ter.tokenUrl,
      clock,
      random: () => 0.5,
      timeoutMs: 1e12,
      maxWaitMs: 1e12,
      retry: { maxDelayMs: 1e12, maxRetryAfterMs: 1e12 },
    })
    try {
      m3ter.faults.inject('token', { kind: 'status', status: 503, retryAfter: String(30 * 86_400) })
      const { error } = await settle(auth.getToken())
      expect(error).toMatchObject({ code: 'token_endpoint_unavailable', retryAfterMs: 30 * 86_400_000 })
      expect(Math.max(...delays)).toBe(MAX_TIMER_MS)
      expect(delays.every((ms) => ms <= MAX_TIMER_MS)).toBe(true)
      // Nothing fires early: a day later the endpoint has still been asked once.
      await manual.advance(86_400_000)
      expect(m3ter.stats.tokenRequests).toBe(1)
    } finally {
      await auth.close()
      await m3ter.close()
    }
  })
})
