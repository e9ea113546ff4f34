import { describe, expect, it } from 'vitest'
import { checkedStoredToken, STORE_SKEW_MS } from './store-value.ts'
import { MAX_EXPIRES_IN_SECONDS } from './token-response.ts'

// The edges of a store value's checks that a one-character change to store-value.ts would move without the
// file's own tests noticing (found by mutation testing, issue 28): each bound taken exactly, and a
// millisecond past it refused.

const NOW = 1_000_000_000
const LONGEST = MAX_EXPIRES_IN_SECONDS * 1000 + STORE_SKEW_MS
const value = (times: { obtainedAt: number; refreshAt: number; expiresAt: number }) => ({
  accessToken: 'abc.def',
  ...times,
})

describe('store value bounds', () => {
  it('takes obtainedAt exactly the skew ahead of the reader, not a millisecond more', () => {
    const at = NOW + STORE_SKEW_MS
    expect(
      checkedStoredToken(value({ obtainedAt: at, refreshAt: at + 1, expiresAt: at + 2 }), NOW),
    ).toBeDefined()
    expect(
      checkedStoredToken(value({ obtainedAt: at + 1, refreshAt: at + 2, expiresAt: at + 3 }), NOW),
    ).toBeUndefined()
  })

  it('takes a lifetime of exactly a week plus the skew, not a millisecond more', () => {
    const obtainedAt = NOW
    expect(
      checkedStoredToken(value({ obtainedAt, refreshAt: NOW + 1, expiresAt: NOW + LONGEST }), NOW),
    ).toBeDefined()
    expect(
      checkedStoredToken(value({ obtainedAt, refreshAt: NOW + 1, expiresAt: NOW + LONGEST + 1 }), NOW),
    ).toBeUndefined()
  })

  it('takes the three times equal, refuses each pair out of order', () => {
    expect(checkedStoredToken(value({ obtainedAt: NOW, refreshAt: NOW, expiresAt: NOW }), NOW)).toEqual(
      value({ obtainedAt: NOW, refreshAt: NOW, expiresAt: NOW }),
    )
    expect(
      checkedStoredToken(value({ obtainedAt: NOW, refreshAt: NOW - 1, expiresAt: NOW }), NOW),
    ).toBeUndefined()
    expect(
      checkedStoredToken(value({ obtainedAt: NOW, refreshAt: NOW + 2, expiresAt: NOW + 1 }), NOW),
    ).toBeUndefined()
  })

  it('refuses a value with any one time not finite, or that is not an object', () => {
    for (const bad of [
      { obtainedAt: Number.NaN },
      { refreshAt: Number.POSITIVE_INFINITY },
      { expiresAt: '5' },
    ])
      expect(
        checkedStoredToken({ ...value({ obtainedAt: NOW, refreshAt: NOW, expiresAt: NOW }), ...bad }, NOW),
      ).toBeUndefined()
    expect(checkedStoredToken(null, NOW)).toBeUndefined()
    expect(checkedStoredToken('abc.def', NOW)).toBeUndefined()
  })
})
