import { describe, expect, it, vi } from 'vitest'
import { createTokenProvider } from './provider.ts'
import { shouldAuthorize } from './request-policy.ts'

// The spellings of the token endpoint that a one-character change to token-path.ts would let through (or
// wrongly catch) without the other tests noticing (found by mutation testing, issue 28). Each test imports a
// fresh copy of the module: the parsed endpoint is cached between calls, and a copy cached by an earlier test
// would hide how the endpoint is parsed.

const TOKEN_URL = 'https://api.m3ter.com/oauth/token'

/** isTokenEndpoint as a new process first runs it, with nothing cached. */
async function freshIsTokenEndpoint() {
  vi.resetModules()
  return (await import('./token-path.ts')).isTokenEndpoint
}

async function expectTokenEndpoint(url: string, expected = true, tokenUrl = TOKEN_URL) {
  const isTokenEndpoint = await freshIsTokenEndpoint()
  expect(isTokenEndpoint(tokenUrl, url), url).toBe(expected)
}

describe('the token endpoint in disguise', () => {
  it('sees through a tab or newline (the URL parser drops them) inside the last segment', async () => {
    for (const url of ['/oauth/tok\ten', '/oauth/to\nken', '/oauth/t\roken'])
      await expectTokenEndpoint(`https://api.m3ter.com${url}`)
  })

  it('sees through a Kelvin sign, which lower-cases to k, written as is or percent-encoded', async () => {
    await expectTokenEndpoint('https://api.m3ter.com/oauth/to\u212Aen')
    await expectTokenEndpoint('https://api.m3ter.com/oauth/to%E2%84%AAen')
  })

  it('drops the ;parameters of any segment, whatever they hold', async () => {
    await expectTokenEndpoint('https://api.m3ter.com/oauth;a/token')
    await expectTokenEndpoint('https://api.m3ter.com/oauth/token;a%0Ab')
  })

  it('resolves dot segments that appear only once decoded, and stops a .. at the root', async () => {
    await expectTokenEndpoint('https://api.m3ter.com/x/..%2Foauth%2Ftoken')
    await expectTokenEndpoint('https://api.m3ter.com/x/..%5Coauth/token')
    await expectTokenEndpoint('https://api.m3ter.com/x/%252e%252e/oauth/token')
    await expectTokenEndpoint('https://api.m3ter.com/oauth/.%2Ftoken')
    await expectTokenEndpoint('https://api.m3ter.com/..%2Foauth/token')
    await expectTokenEndpoint('https://api.m3ter.com/x/..%2F..%2F..%2Foauth/token')
    await expectTokenEndpoint('https://api.m3ter.com/oauth/x/..%2F.%2Fy', false)
  })

  it('decodes the well-formed escapes of a path that also holds a malformed one', async () => {
    await expectTokenEndpoint('https://api.m3ter.com/oauth/%74oken;%zz')
    await expectTokenEndpoint('https://api.m3ter.com/oauth/%74oken;%E0%A4')
    await expectTokenEndpoint('https://api.m3ter.com/oauth/to%E2%84%AAen;%zz')
    await expectTokenEndpoint('https://api.m3ter.com/oauth/%74oken%zz', false)
  })

  it('keeps an escape that is not UTF-8 as written: two different ones are different segments', async () => {
    const tokenUrl = 'https://auth.example/auth/%E0%A4/token'
    await expectTokenEndpoint('https://auth.example/auth/%e0%a4/token', true, tokenUrl)
    await expectTokenEndpoint('https://auth.example/auth/%E0%A5/token', false, tokenUrl)
  })

  it('decodes up to three layers of percent-encoding, not without end', async () => {
    await expectTokenEndpoint('https://api.m3ter.com/oauth/%252574oken')
    await expectTokenEndpoint('https://api.m3ter.com/oauth/%25252574oken', false)
  })

  it('finds the last segment however the slashes around it are doubled', async () => {
    await expectTokenEndpoint('https://api.m3ter.com/oauth//token')
    await expectTokenEndpoint('https://api.m3ter.com/OAUTH//TOKEN//')
  })

  it('reads regular-expression characters of the configured path literally', async () => {
    const tokenUrl = 'https://auth.example/oauth2/v1.0/token.json'
    await expectTokenEndpoint('https://auth.example/oauth2/v1.0/TOKEN.JSON', true, tokenUrl)
    await expectTokenEndpoint('https://auth.example/oauth2/v1.0/tokenxjson', false, tokenUrl)
  })

  it('matches nothing, and does not throw, when the first call has no token endpoint', async () => {
    const isTokenEndpoint = await freshIsTokenEndpoint()
    expect(isTokenEndpoint(undefined, TOKEN_URL)).toBe(false)
  })

  it('keeps the bearer from a token path hidden by a tab or a Kelvin sign through shouldAuthorize', () => {
    const auth = createTokenProvider({ credentials: { accessKeyId: 'k', apiSecret: 's' } })
    for (const url of ['/oauth/tok\ten', '/oauth/to\u212Aen', '/oauth/token;a%0Ab'])
      expect(shouldAuthorize(auth, `https://api.m3ter.com${url}`), url).toBe(false)
    expect(shouldAuthorize(auth, 'https://api.m3ter.com/organizations/o/tokens')).toBe(true)
  })
})
