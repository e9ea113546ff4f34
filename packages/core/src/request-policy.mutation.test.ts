// @ts-nocheck
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { type Rig, rig } from '../test/harness.ts'
import type { TokenProvider } from './provider.ts'
import { createTokenProvider } from './provider.ts'
import {
  judgeAnswer,
  MAX_BODY_BYTES,
  type RequestAnswer,
  registerRequestPolicy,
  shouldAuthorize,
} from './request-policy.ts'

// The edges of the request policy that a one-character change to request-policy.ts would move without the
// other tests noticing (found by mutation testing, issue 28): routes learnt without their query, routes
// forgotten after 512, the 512,000-byte rule read from a declared length, the token endpoint by origin.

const ORG = 'https://api.m3ter.com/organizations/o'
const open: Rig[] = []
afterEach(async () => {
  for (const r of open.splice(0)) await r.close()
})

async function setup() {
  const r = await rig({ scope: ['https://api.m3ter.com'] })
  open.push(r)
  const answer = (
    url: string,
    token: string,
    status: number,
    extra: Partial<RequestAnswer> = {},
  ): RequestAnswer => ({
    method: 'GET',
    url,
    status,
    token,
    answeredFrom: 'asked',
    ...extra,
  })
  /** A call answered `status` twice (the retry too): the route refuses a new token. */
  const refused = async (url: string): Promise<string> => {
    const verdict = judgeAnswer(r.auth, answer(url, await r.auth.getToken(), 403))
    if (verdict === 'retry') judgeAnswer(r.auth, answer(url, await r.auth.getToken(), 403, { retried: true }))
    return verdict
  }
  return { r, answer, refused, tokens: () => r.m3ter.stats.tokenRequests }
}

describe('routes', () => {
  it('are learnt without the query or fragment: another page of a refused route is held too', async () => {
    const { refused } = await setup()
    expect(await refused(`${ORG}/accounts?pageSize=10`)).toBe('retry')
    expect(await refused(`${ORG}/accounts?nextToken=abc`)).toBe('pass')
    expect(await refused(`${ORG}/accounts#top`)).toBe('pass')
    expect(await refused('https://api.m3ter.com/plain?x=1')).toBe('retry')
    expect(await refused('https://api.m3ter.com/plain?x=2')).toBe('pass')
    expect(await refused('https://api.m3ter.com/plain/other')).toBe('retry')
  })

  it('are told apart by method', async () => {
    const { r, answer, refused } = await setup()
    expect(await refused(`${ORG}/plans`)).toBe('retry')
    const post = answer(`${ORG}/plans`, await r.auth.getToken(), 403, { method: 'post' })
    expect(judgeAnswer(r.auth, post)).toBe('retry')
  })

  it('are remembered up to 512: the oldest refusal is forgotten when the 513th comes', async () => {
    const { refused } = await setup()
    for (let i = 0; i < 512; i++) expect(await refused(`${ORG}/r${i}`)).toBe('retry')
    expect(await refused(`${ORG}/r0`)).toBe('pass')
    expect(await refused(`${ORG}/r512`)).toBe('retry')
    // Still 512 remembered: r0 is forgotten, so a 403 there may be a revocation again; r1 is still held.
    expect(await refused(`${ORG}/r1`)).toBe('pass')
    expect(await refused(`${ORG}/r0`)).toBe('retry')
  }, 60_000)
})

describe("m3ter's size limit", () => {
  it('is read from the declared length when the body cannot be measured: passed on, the token kept', async () => {
    const { r, answer, tokens } = await setup()
    const token = await r.auth.getToken()
    const stream = Readable.from(['x'])
    const big = answer(`${ORG}/measurements`, token, 403, {
      method: 'POST',
      body: stream,
      contentLength: MAX_BODY_BYTES,
    })
    expect(judgeAnswer(r.auth, big)).toBe('pass')
    expect(await r.auth.getToken()).toBe(token)
    expect(tokens()).toBe(1)
    const under = { ...big, contentLength: MAX_BODY_BYTES - 1 }
    expect(judgeAnswer(r.auth, under)).toBe('invalidate')
  })

  it('applies to a 403 of a measurable body of exactly the limit, never to a 401', async () => {
    const { r, answer } = await setup()
    const token = await r.auth.getToken()
    const body = 'x'.repeat(MAX_BODY_BYTES)
    expect(judgeAnswer(r.auth, answer(`${ORG}/measurements`, token, 403, { method: 'POST', body }))).toBe(
      'pass',
    )
    // A measured body wins over a smaller declared length.
    const declared = { method: 'POST', body, contentLength: 10 }
    expect(judgeAnswer(r.auth, answer(`${ORG}/measurements`, token, 403, declared))).toBe('pass')
    expect(judgeAnswer(r.auth, answer(`${ORG}/measurements`, token, 401, { method: 'POST', body }))).toBe(
      'invalidate',
    )
  })
})

describe('the token endpoint', () => {
  const auth = createTokenProvider({
    credentials: { accessKeyId: 'k', apiSecret: 's' },
    tokenUrl: 'https://auth.example/token',
    scope: ['https://auth.example', 'https://api.m3ter.com'],
  })

  it('is its origin and path: the same path elsewhere, or another path there, gets the bearer', () => {
    expect(shouldAuthorize(auth, 'https://auth.example/token')).toBe(false)
    expect(shouldAuthorize(auth, 'https://auth.example/token?x=1')).toBe(false)
    expect(shouldAuthorize(auth, new URL('https://AUTH.example:443/token'))).toBe(false)
    expect(shouldAuthorize(auth, 'https://auth.example/token2')).toBe(true)
    expect(shouldAuthorize(auth, 'https://api.m3ter.com/token')).toBe(true)
    expect(shouldAuthorize(auth, 'https://api.m3ter.com/oauth/x')).toBe(true)
  })

  it('is only a request that carries no Basic of its own, whatever the spacing and case', () => {
    expect(shouldAuthorize(auth, 'https://api.m3ter.com/x', '  BASIC abc')).toBe(false)
    expect(shouldAuthorize(auth, 'https://api.m3ter.com/x', 'Basically')).toBe(true)
    expect(shouldAuthorize(auth, 'https://api.m3ter.com/x', 'Bearer basic x')).toBe(true)
  })
})

describe('a provider of your own', () => {
  // The policy reads only these two of a provider; the rest of TokenProvider is not called.
  const own = () => ({ inScope: () => true, invalidate: () => true }) as unknown as TokenProvider
  const answer = {
    method: 'GET',
    url: `${ORG}/meters`,
    status: 403,
    token: 't',
    answeredFrom: 'asked',
  } as const

  it('gets a memory of its own on first use, kept from one answer to the next', () => {
    const auth = own()
    expect(judgeAnswer(auth, answer)).toBe('retry')
    judgeAnswer(auth, { ...answer, token: 't2', retried: true })
    expect(judgeAnswer(auth, { ...answer, token: 't3' })).toBe('pass')
  })

  it('has no token endpoint unless registered with one, and a token URL it cannot read matches nothing', () => {
    expect(shouldAuthorize(own(), 'https://api.m3ter.com/oauth/token')).toBe(true)
    const unreadable = own()
    registerRequestPolicy(unreadable, { tokenUrl: 'not a url' })
    expect(shouldAuthorize(unreadable, 'https://api.m3ter.com/oauth/token')).toBe(true)
    const registered = own()
    registerRequestPolicy(registered, { tokenUrl: 'https://api.m3ter.com/oauth/token' })
    expect(shouldAuthorize(registered, 'https://api.m3ter.com/oauth/token')).toBe(false)
  })
})
