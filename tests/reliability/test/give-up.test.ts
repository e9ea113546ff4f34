import { findM3terAuthError } from '@m3ter-auth/core'
import type { AnyFault } from '@m3ter-auth/testkit'
import { describe, expect, it } from 'vitest'
import { createRig, outcome, type Rig } from './support/rig.ts'

// After a round of attempts gives up without a token, whatever the cause, callers fail fast with that
// error until a cooldown has passed (docs/contract.md §4.7): however hard the application calls, a failing token
// endpoint sees a handful of requests per minute, never one per call. Measured before this held: one caller
// in a loop made 2,000-4,800 token requests per second, eight workers behind the fetch adapter 1,600-2,100.
//
// The rig draws random 0.5, so with the default retry policy the cooldowns are 2.4, 4.8, 9.6, 19.2 and then
// 22.5 s (three quarters of 200 ms * 2^(4 + n - 1), capped at 30 s), each followed by one probe request.
const faults: Array<[string, AnyFault, number]> = [
  ['an HTML page (200)', { kind: 'html' }, 1],
  ['invalid JSON (200)', { kind: 'non-json' }, 1],
  ['expires_in 0', { kind: 'expires-in', expiresIn: 0 }, 1],
  ['expires_in 0.001', { kind: 'expires-in', expiresIn: 0.001 }, 1],
  ['a 404 (a wrong tokenUrl)', { kind: 'status', status: 404 }, 1],
  ['a 302 redirect', { kind: 'redirect', location: 'https://example.com/elsewhere', status: 302 }, 1],
  ['a round of 503 without Retry-After', { kind: 'status', status: 503 }, 4],
]

const WORKERS = 8

/** Eight workers call through the fetch adapter every 25 ms of clock for `ms`; returns the calls made. */
async function hammer(rig: Rig, ms: number): Promise<number> {
  const end = rig.clock.now() + ms
  let calls = 0
  while (rig.clock.now() < end) {
    const batch = Array.from({ length: WORKERS }, () => outcome(rig.driver.request(rig.meters())))
    for (const result of await rig.settle(Promise.all(batch))) {
      expect(findM3terAuthError(result.error)).toBeDefined()
      calls++
    }
    await rig.clock.advance(25)
  }
  return calls
}

describe('after a round gives up, callers fail fast until a growing cooldown passes', () => {
  it.each(faults)('%s: the same typed error at once, no token request', async (_name, fault, perRound) => {
    const rig = await createRig('fetch')
    try {
      rig.m3ter.faults.inject('token', fault, { times: Number.POSITIVE_INFINITY })
      const first = await outcome(rig.settle(rig.driver.request(rig.meters())))
      const error = findM3terAuthError(first.error)
      expect(error).toBeDefined()
      expect(rig.tokenAttempts()).toBe(perRound)
      for (let i = 0; i < 200; i++) {
        const again = await outcome(rig.driver.request(rig.meters()))
        expect(findM3terAuthError(again.error)).toBe(error)
      }
      expect(rig.tokenAttempts()).toBe(perRound)
    } finally {
      await rig.close()
    }
  })

  it.each(faults)(
    '%s: eight workers for two minutes of clock cause a handful of token requests',
    async (_name, fault, perRound) => {
      const rig = await createRig('fetch')
      try {
        rig.m3ter.faults.inject('token', fault, { times: Number.POSITIVE_INFINITY })
        const calls = await hammer(rig, 60_000)
        const firstMinute = rig.tokenAttempts()
        // One round, then a probe after each cooldown that ends within the minute (2.4, 7.2, 16.8, 36, 58.5 s).
        expect(calls).toBeGreaterThan(15_000)
        expect(firstMinute).toBeLessThanOrEqual(perRound + 5)
        await hammer(rig, 60_000)
        // Grown cooldowns (22.5 s): at most three probes a minute.
        expect(rig.tokenAttempts() - firstMinute).toBeLessThanOrEqual(3)
      } finally {
        await rig.close()
      }
    },
    120_000,
  )

  it('the endpoint recovers: the first demand after the cooldown gets a token, and the cooldowns reset', async () => {
    const rig = await createRig('fetch')
    try {
      rig.m3ter.faults.inject('token', { kind: 'html' }, { times: 3 })
      for (let i = 0; i < 3; i++) {
        expect(
          findM3terAuthError((await outcome(rig.settle(rig.driver.request(rig.meters())))).error),
        ).toBeDefined()
        await rig.clock.advance(30_000)
      }
      expect(rig.tokenAttempts()).toBe(3)
      expect((await rig.settle(rig.driver.request(rig.meters()))).status).toBe(200)
      expect(rig.tokenAttempts()).toBe(4)
      // A fresh failure after a success starts again from a full round and the shortest cooldown.
      rig.auth.invalidate(await rig.auth.getToken())
      rig.m3ter.faults.inject('token', { kind: 'status', status: 503 }, { times: Number.POSITIVE_INFINITY })
      await outcome(rig.settle(rig.driver.request(rig.meters())))
      expect(rig.tokenAttempts()).toBe(4 + rig.maxAttempts)
      await rig.clock.advance(2_400)
      await outcome(rig.settle(rig.driver.request(rig.meters())))
      expect(rig.tokenAttempts()).toBe(5 + rig.maxAttempts)
    } finally {
      await rig.close()
    }
  })

  it('a 429 outage with Retry-After: callers fail fast until it passes, then one new request', async () => {
    // The default maxWaitMs (10 s): a Retry-After of 20 s ends the round at its first answer, since no
    // caller could wait for the next attempt.
    const rig = await createRig('fetch', { provider: { maxWaitMs: 10_000 } })
    try {
      rig.m3ter.faults.inject(
        'token',
        { kind: 'status', status: 429, retryAfter: '20' },
        { times: Number.POSITIVE_INFINITY },
      )
      const first = await outcome(rig.settle(rig.driver.request(rig.meters())))
      expect(findM3terAuthError(first.error)).toMatchObject({
        code: 'token_endpoint_unavailable',
        retryAfterMs: 20_000,
      })
      const attempts = rig.tokenAttempts()
      expect(attempts).toBe(1)
      for (let i = 0; i < 20; i++) {
        const again = await outcome(rig.settle(rig.driver.request(rig.meters())))
        expect(findM3terAuthError(again.error)?.code).toBe('token_endpoint_unavailable')
      }
      expect(rig.tokenAttempts()).toBe(attempts)
      rig.m3ter.faults.clear()
      await rig.clock.advance(20_000)
      expect((await rig.settle(rig.driver.request(rig.meters()))).status).toBe(200)
      expect(rig.tokenAttempts()).toBe(attempts + 1)
    } finally {
      await rig.close()
    }
  })
})
