import { describe, expect, it } from 'vitest'
import { FORMAT_VERSION, MAX_LIFETIME_MS, parseTokenReply, toWire } from './protocol.ts'

const LIFETIME = 18_000_000
const wire = { accessToken: 't', expiresInMs: 3_600_000, lifetimeMs: LIFETIME, refreshMs: 14_400_000 }

describe('parseTokenReply', () => {
  it("rebuilds the times on the asker's clock from durations: a skewed isolate expires it at the true time", () => {
    // The isolate is 15 minutes behind the broker: counted from when it asked, the token ends in an hour.
    const askedAt = 1_000_000
    expect(parseTokenReply({ v: FORMAT_VERSION, token: wire }, askedAt)).toEqual({
      accessToken: 't',
      expiresAt: askedAt + 3_600_000,
      obtainedAt: askedAt + 3_600_000 - LIFETIME,
      refreshAt: askedAt + 3_600_000 - LIFETIME + 14_400_000,
    })
  })

  it('the broker sends what the isolate rebuilds', () => {
    const token = {
      accessToken: 't',
      obtainedAt: 5_000,
      expiresAt: 5_000 + LIFETIME,
      refreshAt: 5_000 + 1000,
    }
    expect(parseTokenReply({ v: FORMAT_VERSION, token: toWire(token, 10_000) }, 10_000)).toEqual(token)
  })

  it.each([
    ['another version', { v: FORMAT_VERSION + 1, token: wire }],
    ['no token', { v: FORMAT_VERSION }],
    ['an empty token', { v: FORMAT_VERSION, token: { ...wire, accessToken: '' } }],
    ['a duration that is not a number', { v: FORMAT_VERSION, token: { ...wire, expiresInMs: '3' } }],
    ['a duration that is not finite', { v: FORMAT_VERSION, token: { ...wire, refreshMs: null } }],
    [
      'a hundred-year lifetime',
      { v: FORMAT_VERSION, token: { ...wire, lifetimeMs: 100 * 365 * 86_400_000 } },
    ],
    [
      'a lifetime past the longest',
      { v: FORMAT_VERSION, token: { ...wire, lifetimeMs: MAX_LIFETIME_MS + 1 } },
    ],
    ['an expiry past the lifetime', { v: FORMAT_VERSION, token: { ...wire, expiresInMs: LIFETIME + 1 } }],
    ['an expired token', { v: FORMAT_VERSION, token: { ...wire, expiresInMs: 0 } }],
    ['not an object', 'token'],
  ])('ignores %s', (_, reply) => {
    expect(parseTokenReply(reply, 0)).toBeUndefined()
  })
})
