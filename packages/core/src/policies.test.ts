import { describe, expect, it } from 'vitest'
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter } from './backoff-policy.ts'
import { utf8ToBase64 } from './base64.ts'
import { DEFAULT_REFRESH, tokenTimes } from './refresh-policy.ts'
import { isTokenRejected } from './rejection-policy.ts'
import { createScopePolicy, DEFAULT_SCOPE } from './scope-policy.ts'
import { isLoopbackHost } from './urls.ts'

describe('refresh policy', () => {
  it('refreshes 10% of a 5 h lifetime early, clamped to 10 min, counted from the request start minus skew', () => {
    expect(tokenTimes(1_000, 18_000, 0, DEFAULT_REFRESH)).toEqual({
      expiresAt: 1_000 + 18_000_000 - 10_000,
      refreshAt: 1_000 + 18_000_000 - 10_000 - 600_000,
    })
  })
  it('jitter widens the window by up to 25%', () => {
    const early = tokenTimes(0, 18_000, 0.999_999, DEFAULT_REFRESH)
    const late = tokenTimes(0, 18_000, 0, DEFAULT_REFRESH)
    expect(late.refreshAt - early.refreshAt).toBeGreaterThan(149_000)
    expect(late.refreshAt - early.refreshAt).toBeLessThanOrEqual(150_000)
  })
  it('clamps the window to at least 30 s', () => {
    const { expiresAt, refreshAt } = tokenTimes(0, 200, 0, DEFAULT_REFRESH)
    expect(expiresAt - refreshAt).toBe(30_000)
  })
  it('a very short lifetime still leaves time to serve the token', () => {
    const { expiresAt, refreshAt } = tokenTimes(0, 4, 1, DEFAULT_REFRESH)
    expect(expiresAt).toBe(3_000)
    expect(refreshAt).toBe(1_500)
  })
})

describe('backoff policy', () => {
  it('is full jitter over an exponential ceiling', () => {
    expect(backoffDelay(1, 0.5, undefined, DEFAULT_RETRY)).toBe(100)
    expect(backoffDelay(3, 0.5, undefined, DEFAULT_RETRY)).toBe(400)
    expect(backoffDelay(3, 0, undefined, DEFAULT_RETRY)).toBe(0)
  })
  it('is capped by maxDelayMs', () => {
    expect(backoffDelay(40, 0.999, undefined, DEFAULT_RETRY)).toBeLessThanOrEqual(30_000)
  })
  it('honours Retry-After as sent beyond maxDelayMs, up to maxRetryAfterMs', () => {
    expect(backoffDelay(1, 0, 3_600_000, DEFAULT_RETRY)).toBe(3_600_000)
    expect(backoffDelay(1, 0, 7_200_000, DEFAULT_RETRY)).toBe(3_600_000)
    expect(backoffDelay(1, 0, 7_200_000, { ...DEFAULT_RETRY, maxRetryAfterMs: 0 })).toBe(0)
  })
  it('never asks for a timer beyond 2^31-1 ms, whatever the policy', () => {
    const unbounded = { ...DEFAULT_RETRY, maxDelayMs: Number.POSITIVE_INFINITY, maxRetryAfterMs: 1e12 }
    expect(backoffDelay(60, 0.999, 1e11, unbounded)).toBe(2 ** 31 - 1)
    expect(backoffDelay(2_000, 0.999, undefined, unbounded)).toBe(2 ** 31 - 1)
  })
  it('honours Retry-After as a floor', () => {
    expect(backoffDelay(1, 0.1, 5_000, DEFAULT_RETRY)).toBe(5_000)
  })
  it('reads Retry-After in seconds and as an HTTP-date', () => {
    expect(parseRetryAfter('2', 0)).toBe(2_000)
    const now = Date.parse('Wed, 21 Oct 2026 07:27:00 GMT')
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', now)).toBe(60_000)
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
  })
})

describe('scope policy', () => {
  it('gives the bearer to the default m3ter origins only', () => {
    const inScope = createScopePolicy(DEFAULT_SCOPE)
    expect(inScope('https://api.m3ter.com/organizations/o/meters')).toBe(true)
    expect(inScope('https://ingest.m3ter.com/organizations/o/measurements')).toBe(true)
    expect(inScope('https://api.m3ter.com.evil.example/')).toBe(false)
    expect(inScope('http://api.m3ter.com/')).toBe(false)
    expect(inScope('https://api.m3ter.com:8443/')).toBe(false)
    expect(inScope('not a url')).toBe(false)
    expect(inScope('https://api.m3ter.com@evil.example/')).toBe(false)
    expect(inScope('https://api.m3ter.com.evil.example')).toBe(false)
    expect(inScope('HTTPS://API.M3TER.COM/x')).toBe(true)
    expect(inScope('https://api.m3ter.com:443/x')).toBe(true)
    // WHATWG URL reads a backslash as a slash: this is a path on api.m3ter.com.
    expect(inScope('https://api.m3ter.com\\@evil.example/')).toBe(true)
    expect(inScope(new URL('https://ingest.m3ter.com/x'))).toBe(true)
  })
  it('allows http only on loopback', () => {
    expect(createScopePolicy(['http://127.0.0.1:4000'])('http://127.0.0.1:4000/x')).toBe(true)
    expect(() => createScopePolicy(['http://example.com'])).toThrowError(
      expect.objectContaining({ code: 'insecure_url' }),
    )
  })
  it('refuses entries that are not origins', () => {
    expect(() => createScopePolicy(['https://api.m3ter.com/organizations'])).toThrowError(
      expect.objectContaining({ code: 'invalid_options' }),
    )
    expect(() => createScopePolicy([])).toThrowError(expect.objectContaining({ code: 'invalid_options' }))
  })
  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.9.8.7', 'localhost', '[::1]'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
    ])
    expect(['10.0.0.1', '127.0.0.1.nip.io', 'localhost.evil.example'].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
    ])
  })
})

describe('token rejection policy', () => {
  it('treats 401 and 403 as "maybe the token", nothing else', () => {
    expect([401, 403].every(isTokenRejected)).toBe(true)
    expect([200, 400, 404, 429, 500].some(isTokenRejected)).toBe(false)
  })
})

describe('base64', () => {
  it('encodes the raw UTF-8 bytes of key:secret, as m3ter decodes them', () => {
    expect(utf8ToBase64('key:secret')).toBe(btoa('key:secret'))
    expect(utf8ToBase64('kéy:s€cret 🔑')).toBe(Buffer.from('kéy:s€cret 🔑', 'utf8').toString('base64'))
  })
})
