import type { AnyFault } from '@m3ter-auth/testkit'
import { describe, expect, it } from 'vitest'
import { createRig, outcome } from './support/rig.ts'

// Weakness found by the fault matrix, now fixed in core (machine.ts `failed()`): a round that gave up
// without a token kept its failure with `until: now`, so the very next demand started a new round at once;
// under steady traffic a broken token endpoint (a proxy's HTML 200, a 503 outage) was asked once (HTML) or
// maxAttempts times (503) per caller request. Measured before the fix: 20 sequential requests at one clock
// instant caused 20 token requests (HTML 200); 20 requests over 14 s of clock caused 80 (503). Now callers
// fail fast with the same typed error for the next backoff before the endpoint is asked again (§4.7).
const cases: Array<[string, AnyFault]> = [
  ['a malformed 200 (HTML page)', { kind: 'html' }],
  ['a 503 outage', { kind: 'status', status: 503 }],
]

describe('after a round gives up, the token endpoint is not asked again at once', () => {
  it.each(cases)('%s: 20 failing requests cause at most one round of attempts', async (_name, fault) => {
    const rig = await createRig('fetch')
    try {
      rig.m3ter.faults.inject('token', fault, { times: Number.POSITIVE_INFINITY })
      for (let i = 0; i < 20; i++) await outcome(rig.settle(rig.driver.request(rig.meters())))
      expect(rig.tokenAttempts()).toBeLessThanOrEqual(rig.maxAttempts)
    } finally {
      await rig.close()
    }
  })
})
