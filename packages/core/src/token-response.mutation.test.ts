import { describe, expect, it } from 'vitest'
import {
  isBearerToken,
  keyFingerprint,
  MAX_EXPIRES_IN_SECONDS,
  MAX_TOKEN_RESPONSE_BYTES,
  MIN_EXPIRES_IN_SECONDS,
  parseTokenResponse,
  processTokenResponse,
} from './token-response.ts'

// The edges of the token answer's checks that a one-character change to token-response.ts would move
// without the file's own tests noticing (found by mutation testing, issue 28).

const where = 'POST https://api.m3ter.com/oauth/token'
const body = (fields: Record<string, unknown>) =>
  JSON.stringify({ token_type: 'Bearer', access_token: 'abc.def', expires_in: 18_000, ...fields })
const refusal = (text: string) => {
  try {
    parseTokenResponse(text, where)
  } catch (error) {
    return (error as Error).message.slice(where.length + 2)
  }
  throw new Error('expected a refusal')
}

describe('expires_in bounds, both included', () => {
  it('accepts exactly a week and exactly a minute', () => {
    expect(parseTokenResponse(body({ expires_in: MAX_EXPIRES_IN_SECONDS }), where).expiresInSeconds).toBe(
      604_800,
    )
    expect(parseTokenResponse(body({ expires_in: MIN_EXPIRES_IN_SECONDS }), where).expiresInSeconds).toBe(60)
  })
  it('refuses a second more than a week, a second less than a minute, and not-a-number', () => {
    expect(refusal(body({ expires_in: 604_801 }))).toBe(
      'expires_in is 604801 s; it must be from 60 to 604800',
    )
    expect(refusal(body({ expires_in: 59 }))).toBe('expires_in is 59 s; it must be from 60 to 604800')
    expect(refusal(body({ expires_in: '18000' }))).toBe('expires_in is not a number')
    expect(refusal(body({ expires_in: undefined }))).toBe('answer has no expires_in')
    expect(refusal('{"token_type":"Bearer","access_token":"a","expires_in":1e999}')).toBe(
      'expires_in is not a number',
    )
  })
})

describe('the body and its fields', () => {
  it('tells an HTML page (even after blank lines) from other non-JSON', () => {
    expect(refusal('\n  <html>')).toBe('answered an HTML page, not a JSON token answer')
    expect(refusal('oops <html>')).toBe('answered a body that is not JSON')
  })
  it('refuses JSON that is not an object: an array, null, a number', () => {
    for (const text of ['[]', 'null', '7']) expect(refusal(text)).toBe('answered JSON that is not an object')
  })
  it('refuses an empty or non-string access_token, and names a wrong token_type', () => {
    expect(refusal(body({ access_token: '' }))).toBe('answer has no access_token string')
    expect(refusal(body({ access_token: 7 }))).toBe('answer has no access_token string')
    expect(refusal(body({ access_token: 'abc\r\nX-Evil: 1' }))).toBe(
      'access_token holds characters not allowed in a bearer token',
    )
    expect(refusal(body({ token_type: 'mac' }))).toBe('token_type is "mac", not Bearer')
    expect(refusal(body({ token_type: 'x'.repeat(30) }))).toBe(
      `token_type is "${'x'.repeat(20)}", not Bearer`,
    )
    expect(refusal(body({ token_type: undefined }))).toBe('token_type is missing, not Bearer')
  })
})

describe('bearer token characters', () => {
  it('takes b64token padding only at the end, and nothing before or after the characters', () => {
    expect(isBearerToken('abc==')).toBe(true)
    expect(isBearerToken('a=b')).toBe(false)
    expect(isBearerToken(' abc')).toBe(false)
    expect(isBearerToken('abc ')).toBe(false)
    expect(isBearerToken('')).toBe(false)
    expect(isBearerToken(7)).toBe(false)
  })
  it('takes only strings: not an array or an object whose text would pass', () => {
    expect(isBearerToken(['abc'])).toBe(false)
    expect(isBearerToken({ length: 3, toString: () => 'abc' })).toBe(false)
  })
  it('takes a token of exactly the largest answer size, not one byte more', () => {
    expect(isBearerToken('a'.repeat(MAX_TOKEN_RESPONSE_BYTES))).toBe(true)
    expect(isBearerToken('a'.repeat(MAX_TOKEN_RESPONSE_BYTES + 1))).toBe(false)
  })
})

describe('status edges', () => {
  const request = { tokenUrl: 'https://api.m3ter.com/oauth/token', accessKeyId: 'KEY-1' }
  const attempt = (status: number) =>
    processTokenResponse({ status, headers: new Headers({ 'retry-after': '3' }), body: body({}) }, request, 0)
  const failure = (status: number) => {
    const result = attempt(status)
    if (result.ok) throw new Error(`expected ${status} to fail`)
    return result.failure
  }

  it('refuses 1xx, 3xx and 499 without another attempt, and 300/399 as redirects', () => {
    for (const status of [199, 404, 499]) {
      expect(failure(status)).toMatchObject({ retryable: false, retryAfterMs: undefined })
      expect(failure(status).error.code).toBe('token_endpoint_unavailable')
    }
    for (const status of [300, 399]) {
      expect(failure(status).error.message).toBe(`${where}: answered a redirect (${status})`)
      expect(failure(status).error.code).toBe('invalid_token_response')
    }
  })
  it('reads Retry-After for the retryable answers only', () => {
    expect(failure(500).retryAfterMs).toBe(3000)
    expect(failure(408).retryAfterMs).toBe(3000)
    expect(attempt(200).ok).toBe(true)
    expect(attempt(299).ok).toBe(true)
  })
  it('says how large an unread answer was allowed to be', () => {
    const result = processTokenResponse({ status: 200, headers: new Headers(), body: undefined }, request, 0)
    expect(result.ok ? '' : result.failure.error.message).toBe(`${where}: answer is over 65536 bytes`)
  })
})

describe('key fingerprint', () => {
  it('is always # and 8 hex digits, zero-padded when the hash is small', () => {
    // KEY-718's FNV-1a hash is 0x976d6d: six digits without the padding.
    expect(keyFingerprint('KEY-718')).toBe('#00976d6d')
    expect(keyFingerprint('KEY-1')).toMatch(/^#[0-9a-f]{8}$/)
  })
})
