import { describe, expect, it } from 'vitest'
import { checkedStoredToken, STORE_SKEW_MS } from './store-value.ts'
import { MAX_EXPIRES_IN_SECONDS } from './token-response.ts'

const NOW = Date.UTC(2026, 0, 1)
const HOUR = 3_600_000
const good = {
  accessToken: 'eyJh.eyJz.c2ln',
  obtainedAt: NOW - HOUR,
  refreshAt: NOW + 3 * HOUR,
  expiresAt: NOW + 4 * HOUR,
}

describe('checkedStoredToken: a store value is checked like an endpoint answer', () => {
  it('keeps a good value, as a fresh object of the four fields', () => {
    const checked = checkedStoredToken({ ...good, extra: 'dropped' }, NOW)
    expect(checked).toEqual(good)
    expect(checked).not.toHaveProperty('extra')
  })

  it.each([
    ['not an object', 'text'],
    ['null', null],
    ['a non-string token', { ...good, accessToken: 42 }],
    ['an empty token', { ...good, accessToken: '' }],
    ['CR/LF in the token', { ...good, accessToken: 'abc\r\nX-Injected: 1' }],
    ['a space in the token', { ...good, accessToken: 'abc def' }],
    ['non-ASCII in the token', { ...good, accessToken: 'abcé' }],
    ['expiresAt: 1e308', { ...good, expiresAt: 1e308 }],
    ['expiresAt: Infinity', { ...good, expiresAt: Number.POSITIVE_INFINITY }],
    ['a string time', { ...good, obtainedAt: String(good.obtainedAt) }],
    ['NaN', { ...good, refreshAt: Number.NaN }],
    ['times out of order', { ...good, refreshAt: good.expiresAt + 1 }],
    ['obtainedAt in the future beyond the skew', { ...good, obtainedAt: NOW + STORE_SKEW_MS + 1 }],
    [
      'a lifetime over the longest the endpoint may give',
      { ...good, expiresAt: good.obtainedAt + MAX_EXPIRES_IN_SECONDS * 1000 + STORE_SKEW_MS + 1 },
    ],
  ])('refuses %s', (_, value) => {
    expect(checkedStoredToken(value, NOW)).toBeUndefined()
  })

  it('accepts an obtainedAt ahead within the skew allowance', () => {
    const ahead = { ...good, obtainedAt: NOW + STORE_SKEW_MS }
    expect(checkedStoredToken(ahead, NOW)).toEqual(ahead)
  })
})
