import { describe, expect, it } from 'vitest'
import { createTokenProvider } from './provider.ts'
import { shouldAuthorize } from './request-policy.ts'
import { isTokenEndpoint } from './token-path.ts'

const TOKEN_URL = 'https://api.m3ter.com/oauth/token'

describe('token path', () => {
  it.each([
    'https://api.m3ter.com/oauth/token',
    'https://api.m3ter.com/oauth/token/',
    'https://api.m3ter.com//oauth/token',
    'https://api.m3ter.com/oauth//token//',
    'https://api.m3ter.com/OAUTH/TOKEN',
    'https://API.m3ter.com:443/OAuth/Token?grant_type=x#y',
    'https://api.m3ter.com/oauth/%74oken',
    'https://api.m3ter.com/%6F%41uth/%54OKEN',
    'https://api.m3ter.com/oauth%2Ftoken',
    'https://api.m3ter.com/oauth/%2574oken',
    'https://api.m3ter.com/oauth/token;jsessionid=1',
    'https://api.m3ter.com/oauth/./token',
    'https://api.m3ter.com/x/../oauth/token',
    'https://api.m3ter.com/x/%2e%2e/oauth/token',
    'https://api.m3ter.com/oauth\\token',
  ])('%s is the token endpoint', (url) => {
    expect(isTokenEndpoint(TOKEN_URL, url)).toBe(true)
    expect(isTokenEndpoint(TOKEN_URL, new URL(url))).toBe(true)
  })

  it.each([
    'https://api.m3ter.com/oauth/tokens',
    'https://api.m3ter.com/oauth/other',
    'https://api.m3ter.com/organizations/o/oauth/token',
    'https://api.m3ter.com/organizations/o/meters?name=token',
    'https://ingest.m3ter.com/oauth/token',
    'https://api.m3ter.com/oauth/%zz/token',
    'not a url with token in it',
  ])('%s is not', (url) => {
    expect(isTokenEndpoint(TOKEN_URL, url)).toBe(false)
  })

  it('matches nothing without a token endpoint, or with one that is not a URL', () => {
    expect(isTokenEndpoint(undefined, TOKEN_URL)).toBe(false)
    expect(isTokenEndpoint('not a url', TOKEN_URL)).toBe(false)
  })

  it('normalises the configured endpoint the same way', () => {
    expect(isTokenEndpoint('http://127.0.0.1:4000/Auth//Token/', 'http://127.0.0.1:4000/auth/token')).toBe(
      true,
    )
  })

  it('answers a URL asked again as the first time, under the token endpoint it is asked for', () => {
    const asked = 'https://api.m3ter.com/oauth/token'
    const other = 'https://auth.example/oauth/token'
    // The same URL, asked again, against another endpoint, and between other URLs: the last answer kept
    // for one URL never stands for another URL or another endpoint.
    expect([asked, asked, other, asked].map((url) => isTokenEndpoint(TOKEN_URL, url))).toEqual([
      true,
      true,
      false,
      true,
    ])
    expect(isTokenEndpoint(other, asked)).toBe(false)
    expect(isTokenEndpoint(TOKEN_URL, asked)).toBe(true)
    expect(isTokenEndpoint(other, other)).toBe(true)
  })

  it('keeps the bearer from every spelling of the token path through shouldAuthorize', () => {
    const auth = createTokenProvider({ credentials: { accessKeyId: 'k', apiSecret: 's' } })
    for (const url of ['/oauth/token/', '//oauth/token', '/OAUTH/TOKEN', '/oauth/%74oken'])
      expect(shouldAuthorize(auth, `https://api.m3ter.com${url}`)).toBe(false)
    expect(shouldAuthorize(auth, 'https://api.m3ter.com/organizations/o/meters')).toBe(true)
  })
})
