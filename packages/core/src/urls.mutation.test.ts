import { describe, expect, it } from 'vitest'
import { createScopePolicy } from './scope-policy.ts'
import { isLoopbackHost, isSecureUrl, parseSecureUrl } from './urls.ts'

// The edges of "may this URL carry a credential?" that a one-character change to urls.ts or scope-policy.ts
// would move without any other test noticing (found by mutation testing, issue 28).

describe('loopback hosts, matched whole', () => {
  it('refuses a host that only ends or begins like a loopback one', () => {
    expect(isLoopbackHost('notlocalhost')).toBe(false)
    expect(isLoopbackHost('localhostx')).toBe(false)
    expect(isLoopbackHost('x127.0.0.1')).toBe(false)
    expect(isLoopbackHost('127.0.0.1x')).toBe(false)
  })
  it('takes every 127/8 address and sub-domains of localhost, nothing shorter', () => {
    expect(isLoopbackHost('127.255.255.254')).toBe(true)
    expect(isLoopbackHost('api.localhost')).toBe(true)
    expect(isLoopbackHost('::1')).toBe(true)
    expect(isLoopbackHost('.localhost')).toBe(false)
    expect(isLoopbackHost('127.0.0')).toBe(false)
    expect(isLoopbackHost('127.a.b.c')).toBe(false)
    expect(isLoopbackHost('127..0.1')).toBe(false)
  })
})

describe('secure URLs', () => {
  it('is https anywhere, http only to loopback, no other scheme even to loopback', () => {
    expect(isSecureUrl(new URL('https://example.com/'))).toBe(true)
    expect(isSecureUrl(new URL('http://127.0.0.1/'))).toBe(true)
    expect(isSecureUrl(new URL('http://example.com/'))).toBe(false)
    expect(isSecureUrl(new URL('ws://127.0.0.1/'))).toBe(false)
    expect(isSecureUrl(new URL('ftp://localhost/'))).toBe(false)
  })
  it('refuses a configured URL with a user name or a password alone, and says which option', () => {
    for (const value of ['https://user@api.m3ter.com/', 'https://:pw@api.m3ter.com/']) {
      expect(() => parseSecureUrl(value, 'tokenUrl')).toThrowError(
        expect.objectContaining({
          code: 'invalid_options',
          message: 'createTokenProvider: tokenUrl must not carry credentials',
        }),
      )
    }
    expect(() => parseSecureUrl('not a url', 'tokenUrl')).toThrowError(
      expect.objectContaining({
        code: 'invalid_options',
        message: 'createTokenProvider: tokenUrl is not a URL',
      }),
    )
    expect(() => parseSecureUrl('http://example.com/t', 'scope entry')).toThrowError(
      expect.objectContaining({
        code: 'insecure_url',
        message:
          'createTokenProvider: scope entry http://example.com is not https (plain http only to loopback)',
      }),
    )
    expect(parseSecureUrl('https://api.m3ter.com/oauth/token', 'tokenUrl').href).toBe(
      'https://api.m3ter.com/oauth/token',
    )
  })
})

describe('scope', () => {
  const inScope = createScopePolicy(['https://api.m3ter.com', 'http://127.0.0.1:4000'])

  it('compares origins, scheme and port included, not hosts', () => {
    expect(inScope('http://api.m3ter.com/organizations/o/meters')).toBe(false)
    expect(inScope(new URL('http://api.m3ter.com/x'))).toBe(false)
    expect(inScope('https://127.0.0.1:4000/x')).toBe(false)
    expect(inScope('http://127.0.0.1:4001/x')).toBe(false)
  })
  it('takes an allowed origin however it is spelt, as a string or a URL', () => {
    expect(inScope('HTTPS://API.M3TER.COM/x')).toBe(true)
    expect(inScope('https://api.m3ter.com:443/x')).toBe(true)
    expect(inScope('https://api.m3ter.com')).toBe(true)
    expect(inScope(new URL('https://api.m3ter.com/x'))).toBe(true)
    expect(inScope('http://127.0.0.1:4000/x')).toBe(true)
  })
  it('refuses a URL that only ends with an allowed origin, and anything unparseable', () => {
    expect(inScope('https://evil.example/?https://api.m3ter.com/')).toBe(false)
    expect(inScope('not a url')).toBe(false)
  })
  it('refuses a string that is not an absolute URL, whatever word it begins with', () => {
    const notAbsolute = ['', 'undefined', 'undefined/x', 'null', '/organizations/o/meters', 'api.m3ter.com/x']
    for (const target of notAbsolute) expect(inScope(target), target).toBe(false)
  })
  it('names the entry that is not an origin, and refuses a non-array', () => {
    expect(() => createScopePolicy(['https://api.m3ter.com/x'])).toThrowError(
      expect.objectContaining({
        message: 'createTokenProvider: scope entry https://api.m3ter.com/x must be an origin',
      }),
    )
    expect(() => createScopePolicy('https://api.m3ter.com' as unknown as string[])).toThrowError(
      expect.objectContaining({
        code: 'invalid_options',
        message: 'createTokenProvider: scope must be a non-empty array of origins',
      }),
    )
  })
})
