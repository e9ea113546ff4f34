import { describe, expect, it } from 'vitest'
import { buildTokenRequest } from './token-request.ts'
import { MIN_EXPIRES_IN_SECONDS, parseTokenResponse } from './token-response.ts'

const where = 'POST https://api.m3ter.com/oauth/token'
const parse = (body: unknown) =>
  parseTokenResponse(typeof body === 'string' ? body : JSON.stringify(body), where)
const ok = { token_type: 'Bearer', access_token: 'eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2ln', expires_in: 18000 }

describe('token request', () => {
  it('sends Basic base64(utf8 key:secret) and the JSON grant', () => {
    const { init } = buildTokenRequest('https://api.m3ter.com/oauth/token', {
      accessKeyId: 'k',
      apiSecret: 'sé:c',
    })
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
