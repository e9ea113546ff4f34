import { describe, expect, it } from 'vitest'
import { buildTokenRequest, describeTokenRequest } from './token-request.ts'
import {
  keyFingerprint,
  MAX_TOKEN_RESPONSE_BYTES,
  MIN_EXPIRES_IN_SECONDS,
  parseTokenResponse,
  processTokenResponse,
} from './token-response.ts'

const where = 'POST https://api.m3ter.com/oauth/token'
const parse = (body: unknown) =>
  parseTokenResponse(typeof body === 'string' ? body : JSON.stringify(body), where)
const ok = { token_type: 'Bearer', access_token: 'eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2ln', expires_in: 18000 }

describe('token request', () => {
  it('sends Basic base64(utf8 key:secret) and the JSON grant', () => {
    const { init } = buildTokenRequest(
      'https://api.m3ter.com/oauth/token',
      {
        accessKeyId: 'k',
        apiSecret: 'sé:c',
      },
      'json',
    )
    expect(init.headers.authorization).toBe(`Basic ${Buffer.from('k:sé:c').toString('base64')}`)
    expect(JSON.parse(init.body)).toEqual({ grant_type: 'client_credentials' })
    expect(init.redirect).toBe('manual')
  })
  it('can send the grant form encoded', () => {
    const { init } = buildTokenRequest('https://x/oauth/token', { accessKeyId: 'k', apiSecret: 's' }, 'form')
    expect(init.body).toBe('grant_type=client_credentials')
    expect(init.headers['content-type']).toBe('application/x-www-form-urlencoded')
  })
})

describe('token response (§4.9)', () => {
  it('accepts a well-formed answer, token_type in any case', () => {
    expect(parse(ok)).toEqual({ accessToken: ok.access_token, expiresInSeconds: 18000 })
    expect(parse({ ...ok, token_type: 'bearer' }).expiresInSeconds).toBe(18000)
  })
  it('accepts a lifetime of a minute, the shortest usable one', () => {
    expect(parse({ ...ok, expires_in: MIN_EXPIRES_IN_SECONDS }).expiresInSeconds).toBe(60)
  })
  it.each([
    ['not JSON', 'access_token=abc'],
    ['an HTML error page', '<html><body>502 Bad Gateway</body></html>'],
    ['JSON that is not an object', '[1,2]'],
    ['no access_token', { ...ok, access_token: undefined }],
    ['an empty access_token', { ...ok, access_token: '' }],
    ['a token with a newline', { ...ok, access_token: 'abc\r\nX-Evil: 1' }],
    ['token_type not bearer', { ...ok, token_type: 'mac' }],
    ['token_type missing', { ...ok, token_type: undefined }],
    ['expires_in missing', { ...ok, expires_in: undefined }],
    ['expires_in zero', { ...ok, expires_in: 0 }],
    ['expires_in negative', { ...ok, expires_in: -5 }],
    ['expires_in absurd', { ...ok, expires_in: 10 ** 12 }],
    ['expires_in a string', { ...ok, expires_in: '18000' }],
    // Too short to use once the safety skew is off, and one token request per demand.
    ['expires_in 0.001', { ...ok, expires_in: 0.001 }],
    ['expires_in under a minute', { ...ok, expires_in: 59.999 }],
  ])('refuses %s with invalid_token_response, without echoing the body', (_, body) => {
    let error: unknown
    try {
      parse(body)
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ code: 'invalid_token_response', name: 'M3terAuthError' })
    expect((error as Error).message).toContain(where)
    expect((error as Error).message).not.toContain('eyJhbGciOiJIUzI1NiJ9')
  })
})

describe('what an answer from the token endpoint means', () => {
  const tokenUrl = 'https://api.m3ter.com/oauth/token?secret=hunter2'
  const request = { tokenUrl, accessKeyId: 'KEY-1' }
  const answer = (status: number, body: string | undefined, headers: Record<string, string> = {}) =>
    processTokenResponse({ status, headers: new Headers(headers), body }, request, 1_000_000)
  const failureOf = (attempt: ReturnType<typeof answer>) => {
    if (attempt.ok) throw new Error('expected a failure')
    return attempt.failure
  }

  it('gives the validated answer for any 2xx with a good body', () => {
    for (const status of [200, 201, 299])
      expect(answer(status, JSON.stringify(ok))).toEqual({
        ok: true,
        answer: { accessToken: ok.access_token, expiresInSeconds: 18000 },
      })
  })

  it.each([400, 401, 403])('takes %i as the key rejected: not retryable, Retry-After ignored', (status) => {
    const failure = failureOf(answer(status, undefined, { 'retry-after': '5' }))
    expect(failure).toEqual({
      error: expect.objectContaining({ code: 'invalid_credentials', status }),
      retryable: false,
      credentialsRejected: true,
      retryAfterMs: undefined,
    })
    expect(failure.error.message).toBe(
      `${where}: answered ${status}: access key id or API secret rejected (key ${keyFingerprint('KEY-1')}); check both, and that the key is active`,
    )
    // Not the key id: with key id and secret swapped, it is the secret.
    expect(failure.error.message).not.toContain('KEY-1')
    expect(failure.error.cause).toBeUndefined()
  })

  it.each([408, 429, 500, 502, 503, 504, 599])('takes %i as worth another attempt', (status) => {
    const failure = failureOf(answer(status, '<html>busy</html>'))
    expect(failure).toEqual({
      error: expect.objectContaining({ code: 'token_endpoint_unavailable', status }),
      retryable: true,
      credentialsRejected: false,
      retryAfterMs: undefined,
    })
    expect(failure.error.message).toBe(`${where}: answered ${status}`)
  })

  it('reads Retry-After of a retryable answer in seconds or as a date against now', () => {
    expect(failureOf(answer(429, '', { 'retry-after': '2' })).retryAfterMs).toBe(2000)
    expect(failureOf(answer(503, '', { 'retry-after': ' 0 ' })).retryAfterMs).toBe(0)
    const inAMinute = new Date(1_000_000 + 60_000).toUTCString()
    expect(failureOf(answer(503, '', { 'retry-after': inAMinute })).retryAfterMs).toBe(60_000)
    const past = new Date(0).toUTCString()
    expect(failureOf(answer(503, '', { 'retry-after': past })).retryAfterMs).toBe(0)
    expect(failureOf(answer(503, '', { 'retry-after': 'soon' })).retryAfterMs).toBeUndefined()
  })

  it('takes 404 as a wrong token URL: says where it looked and what to check', () => {
    const failure = failureOf(answer(404, 'Not Found'))
    expect(failure).toMatchObject({ retryable: false, credentialsRejected: false })
    expect(failure.error).toMatchObject({ code: 'token_endpoint_unavailable', status: 404 })
    expect(failure.error.message).toBe(
      `${where}: answered 404: no token endpoint at https://api.m3ter.com/oauth/token: check tokenUrl or M3TER_BASE_URL (an origin such as https://api.m3ter.com)`,
    )
  })

  it.each([100, 199, 405, 409, 410, 418, 422])('takes %i as unavailable and not worth retrying', (status) => {
    const failure = failureOf(answer(status, '', { 'retry-after': '5' }))
    expect(failure).toEqual({
      error: expect.objectContaining({ code: 'token_endpoint_unavailable', status }),
      retryable: false,
      credentialsRejected: false,
      retryAfterMs: undefined,
    })
    expect(failure.error.message).toBe(`${where}: answered ${status}`)
  })

  it.each([300, 301, 302, 303, 307, 308])(
    'refuses the redirect %i: the Basic credentials would follow it',
    (status) => {
      const failure = failureOf(answer(status, '', { location: 'https://elsewhere.example/' }))
      expect(failure).toEqual({
        error: expect.objectContaining({ code: 'invalid_token_response', status }),
        retryable: false,
        credentialsRejected: false,
        retryAfterMs: undefined,
      })
      expect(failure.error.message).toBe(`${where}: answered a redirect (${status})`)
    },
  )

  it('refuses a 2xx body that was too large to read', () => {
    const failure = failureOf(answer(200, undefined))
    expect(failure.error).toMatchObject({ code: 'invalid_token_response', status: 200 })
    expect(failure.error.message).toBe(`${where}: answer is over ${MAX_TOKEN_RESPONSE_BYTES} bytes`)
    expect(failure.retryable).toBe(false)
  })

  it('checks the status before the body: a rejection or an outage that was too large is still one', () => {
    expect(failureOf(answer(401, undefined)).error.code).toBe('invalid_credentials')
    expect(failureOf(answer(503, undefined)).error.code).toBe('token_endpoint_unavailable')
    expect(failureOf(answer(302, undefined)).error.message).toContain('redirect')
  })

  it('turns a malformed 2xx body into a failure, never a throw, and never echoes it', () => {
    for (const status of [200, 204]) {
      const failure = failureOf(answer(status, JSON.stringify({ ...ok, token_type: 'mac' })))
      expect(failure).toEqual({
        error: expect.objectContaining({ code: 'invalid_token_response', status: 200 }),
        retryable: false,
        credentialsRejected: false,
        retryAfterMs: undefined,
      })
      expect(failure.error.message).toContain(where)
      expect(failure.error.message).not.toContain('eyJhbGciOiJIUzI1NiJ9')
    }
    expect(failureOf(answer(204, '')).error.message).toBe(`${where}: answered a body that is not JSON`)
  })

  it('names the URL by origin and path only', () => {
    expect(describeTokenRequest(tokenUrl)).toBe(where)
    for (const status of [200, 302, 401, 503])
      expect(failureOf(answer(status, 'x')).error.message).not.toContain('hunter2')
  })
})
