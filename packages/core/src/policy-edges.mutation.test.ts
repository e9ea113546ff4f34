import { describe, expect, it } from 'vitest'
import { backoffDelay, DEFAULT_RETRY, honouredRetryAfter, parseRetryAfter } from './backoff-policy.ts'
import { DEFAULT_REFRESH, tokenTimes } from './refresh-policy.ts'
import { scrubbed } from './scrub.ts'

// The edges of backoff, refresh timing and scrubbing that a one-character change would move without the
// files' own tests noticing (found by mutation testing, issue 28).

describe('backoff', () => {
  it('doubles from the base per attempt, the first attempt at the base, capped at maxDelayMs', () => {
    expect(backoffDelay(1, 0.999, undefined, DEFAULT_RETRY)).toBe(199)
    expect(backoffDelay(2, 0.999, undefined, DEFAULT_RETRY)).toBe(399)
    expect(backoffDelay(0, 0.999, undefined, DEFAULT_RETRY)).toBe(199)
    expect(backoffDelay(30, 0.5, undefined, DEFAULT_RETRY)).toBe(15_000)
  })
  it('takes a Retry-After as a floor, up to maxRetryAfterMs', () => {
    expect(backoffDelay(1, 0.5, 150, DEFAULT_RETRY)).toBe(150)
    expect(honouredRetryAfter(undefined, DEFAULT_RETRY)).toBe(0)
    expect(honouredRetryAfter(3_600_001, DEFAULT_RETRY)).toBe(3_600_000)
  })
  it('reads Retry-After as whole seconds or a date, nothing else', () => {
    expect(parseRetryAfter('', 0)).toBeUndefined()
    expect(parseRetryAfter(null, 0)).toBeUndefined()
    // Digits with anything before or after are neither seconds nor a date.
    expect(parseRetryAfter('x12', 0)).toBeUndefined()
    expect(parseRetryAfter('12x', 0)).toBeUndefined()
    expect(parseRetryAfter('12 ', 0)).toBe(12_000)
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4_000)).toBe(6_000)
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 11_000)).toBe(0)
  })
})

describe('refresh timing', () => {
  it('clamps the window to its minimum and maximum, and widens it by the jitter', () => {
    // 100 s: 10 % is 10 s, raised to 30 s.
    expect(tokenTimes(0, 100, 0, DEFAULT_REFRESH)).toEqual({ expiresAt: 90_000, refreshAt: 60_000 })
    // 10 h: 10 % is an hour, lowered to 10 min; a full jitter makes it 12.5 min.
    expect(tokenTimes(0, 36_000, 1, DEFAULT_REFRESH)).toEqual({
      expiresAt: 35_990_000,
      refreshAt: 35_240_000,
    })
  })
  it('keeps at least half of a short usable lifetime, and a quarter of the lifetime as the most skew', () => {
    // 20 s: skew 5 s (a quarter), usable 15 s, window 30 s cut to 7.5 s.
    expect(tokenTimes(1_000, 20, 0, DEFAULT_REFRESH)).toEqual({ expiresAt: 16_000, refreshAt: 8_500 })
  })
})

describe('scrubbing', () => {
  it('redacts Basic and Bearer after spaces, %20 or =, in any case, keeping the scheme', () => {
    expect(scrubbed('a BEARER  abc.def-_~+/= b')).toBe('a BEARER [redacted] b')
    expect(scrubbed('x?auth=basic%20a2V5 y')).toBe('x?auth=basic [redacted] y')
    expect(scrubbed('bearer=tok&z')).toBe('bearer [redacted]&z')
    expect(scrubbed('unbearer abc')).toBe('unbearer abc')
  })
  it('keeps name and code of an error and its causes, five deep, and drops what is not an error or text', () => {
    const inner = Object.assign(new Error('Basic a2V5'), { code: 'E1', name: 'Inner' })
    let cause: unknown = inner
    for (let i = 0; i < 5; i++) cause = new Error(`level ${i}`, { cause })
    const copy = scrubbed(new Error('top', { cause: inner })) as Error & { cause: Error & { code: string } }
    expect(copy.cause.message).toBe('Basic [redacted]')
    expect(copy.cause).toMatchObject({ name: 'Inner', code: 'E1' })
    expect(copy.cause).not.toBe(inner)
    let deep = scrubbed(cause) as Error | undefined
    let depth = 0
    while (deep instanceof Error) {
      deep = deep.cause as Error | undefined
      depth++
    }
    expect(depth).toBe(5)
    expect(scrubbed({ message: 'Bearer x' })).toBeUndefined()
  })
})
