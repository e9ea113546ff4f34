import { findM3terAuthError } from '@m3ter-auth/core'
import type { AnyFault } from '@m3ter-auth/testkit'
import { describe, expect, it } from 'vitest'
import { createRig, outcome } from './support/rig.ts'

// What happens after a round of attempts gives up without a token. The fault matrix found that the very
// next demand starts a new round at once: under steady traffic a broken token endpoint is asked once (a
// malformed 200) or maxAttempts times (a 503 outage) per caller request that comes after the give-up
// (concurrent callers share one round). docs/contract.md §4.7 reserves a fail-fast cooldown for rejected keys, so core
// keeps that behaviour and only honours what the server asks for: after a 429/503 with Retry-After, callers
// fail fast with the same typed error until it has passed. These cells pin both halves.
const withoutRetryAfter: Array<[string, AnyFault, number]> = [
  ['a malformed 200 (HTML page): one attempt per later request', { kind: 'html' }, 1],
  ['a 503 outage: one round per later request', { kind: 'status', status: 503 }, 4],
]

describe('after a round gives up', () => {
  it.each(withoutRetryAfter)('%s', async (_name, fault, perRound) => {
    const rig = await createRig('fetch')
    try {
      rig.m3ter.faults.inject('token', fault, { times: Number.POSITIVE_INFINITY })
      for (let i = 1; i <= 3; i++) {
        const result = await outcome(rig.settle(rig.driver.request(rig.meters())))
        expect(findM3terAuthError(result.error)).toBeDefined()
        expect(rig.tokenAttempts()).toBe(i * perRound)
      }
    } finally {
      await rig.close()
    }
  })

  it('a 429 outage with Retry-After: callers fail fast until it passes, then one new round', async () => {
    const rig = await createRig('fetch')
    try {
      rig.m3ter.faults.inject(
        'token',
        { kind: 'status', status: 429, retryAfter: '20' },
        { times: Number.POSITIVE_INFINITY },
      )
      const first = await outcome(rig.settle(rig.driver.request(rig.meters())))
      expect(findM3terAuthError(first.error)?.code).toBe('token_endpoint_unavailable')
      const attempts = rig.tokenAttempts()
      expect(attempts).toBe(rig.maxAttempts)
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
