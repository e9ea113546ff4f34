// @ts-nocheck
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { type Rig, rig } from '../test/harness.ts'
import type { TokenProvider } from './provider.ts'
import { createTokenProvider } from './provider.ts'
import {
  answeredFrom,
  heldToken,
  judgeAnswer,
  MAX_BODY_BYTES,
  type RequestAnswer,
  registerRequestPolicy,
  shouldAuthorize,
  tokenOfHeader,
} from './request-policy.ts'

// The edges of the request policy that a one-character change to request-policy.ts would move without the
// other tests noticing (found by mutation testing, issue 28): routes learnt without their query, routes
// forgotten after 512, the 512,000-byte rule read from a declared length, the token endpoint by origin, the
// budgets of new tokens, the dropped tokens remembered, the headers read.

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
  const refused = async (url: string, status = 403): Promise<string> => {
    const verdict = judgeAnswer(r.auth, answer(url, await r.auth.getToken(), status))
    if (verdict === 'retry')
      judgeAnswer(r.auth, answer(url, await r.auth.getToken(), status, { retried: true }))
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

  it('are one route whatever the case of the method', async () => {
    const { r, answer, refused } = await setup()
    expect(await refused(`${ORG}/plans`)).toBe('retry')
    const lower = answer(`${ORG}/plans`, await r.auth.getToken(), 403, { method: 'get' })
    expect(judgeAnswer(r.auth, lower)).toBe('pass')
  })

  it('are forgotten least recently refused first: a route refused again is kept over older ones', () => {
    const auth = ownProvider()
    registerRequestPolicy(auth, { now: () => 1_000_000 })
    const at = (i: number, token: string, retried = false) =>
      judgeAnswer(auth, {
        method: 'GET',
        url: `${ORG}/r${i}`,
        status: 403,
        token,
        answeredFrom: 'asked',
        retried,
      })
    for (let i = 0; i < 512; i++) at(i, 'a', true)
    // r0 refuses another new token: now the most recent refusal, so the 513th route pushes out r1.
    at(0, 'b', true)
    at(512, 'a', true)
    expect(at(0, 'c')).toBe('pass')
    expect(at(1, 'c')).toBe('retry')
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

// The policy reads only these two of a provider; the rest of TokenProvider is not called.
function ownProvider(): TokenProvider {
  return { inScope: () => true, invalidate: () => true } as unknown as TokenProvider
}

describe('a provider of your own', () => {
  const own = ownProvider
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

describe('new tokens that did not help', () => {
  /** Two routes refused, then a third new token whose retry is answered `status`: is a fourth one granted? */
  async function budgetAfterRetry(status: number): Promise<string> {
    const { r, answer, refused } = await setup()
    await refused(`${ORG}/a`)
    await refused(`${ORG}/b`)
    expect(judgeAnswer(r.auth, answer(`${ORG}/c`, await r.auth.getToken(), 403))).toBe('retry')
    const retry = answer(`${ORG}/c`, await r.auth.getToken(), status, { retried: true })
    expect(judgeAnswer(r.auth, retry)).toBe('pass')
    // Given back once: a second answer of the same kind gives nothing more.
    expect(judgeAnswer(r.auth, retry)).toBe('pass')
    await r.clock.advance(60_000)
    return judgeAnswer(r.auth, answer(`${ORG}/a`, await r.auth.getToken(), 403))
  }

  it('are given back only for a retry answered 2xx (200 to 299): 199 and 300 do not show it helped', async () => {
    expect(await budgetAfterRetry(200)).toBe('retry')
    expect(await budgetAfterRetry(299)).toBe('retry')
    expect(await budgetAfterRetry(199)).toBe('pass')
    expect(await budgetAfterRetry(300)).toBe('pass')
  })

  it('are counted apart for 401 and 403: a proxy spending the 401 budget leaves the 403 one whole', async () => {
    const { r, answer, refused } = await setup()
    await refused(`${ORG}/a`, 401)
    await refused(`${ORG}/b`, 403)
    await refused(`${ORG}/c`, 401)
    await refused(`${ORG}/d`, 401)
    await r.clock.advance(60_000)
    expect(judgeAnswer(r.auth, answer(`${ORG}/a`, await r.auth.getToken(), 401))).toBe('pass')
    expect(judgeAnswer(r.auth, answer(`${ORG}/b`, await r.auth.getToken(), 403))).toBe('retry')
  })

  it('are 3 per status: two 401s that did not help leave a third new token for a 401', async () => {
    const { r, answer, refused } = await setup()
    await refused(`${ORG}/a`, 401)
    await refused(`${ORG}/b`, 401)
    await r.clock.advance(60_000)
    expect(judgeAnswer(r.auth, answer(`${ORG}/a`, await r.auth.getToken(), 401))).toBe('retry')
  })

  it('count for 5 hours: one exactly 5 hours old no longer counts', async () => {
    const { r, answer, refused } = await setup()
    for (const route of ['a', 'b', 'c']) await refused(`${ORG}/${route}`)
    await r.clock.advance(5 * 60 * 60 * 1000 - 1)
    expect(judgeAnswer(r.auth, answer(`${ORG}/a`, await r.auth.getToken(), 403))).toBe('pass')
    await r.clock.advance(1)
    expect(judgeAnswer(r.auth, answer(`${ORG}/a`, await r.auth.getToken(), 403))).toBe('retry')
  })

  it('include the one dropped for a body that cannot be sent twice: its route is held', async () => {
    const { r, answer, tokens } = await setup()
    const post = (body: unknown) => ({ method: 'POST', body })
    const first = answer(`${ORG}/measurements`, await r.auth.getToken(), 403, post(Readable.from(['x'])))
    expect(judgeAnswer(r.auth, first)).toBe('invalidate')
    const again = answer(`${ORG}/measurements`, await r.auth.getToken(), 403, post(Readable.from(['y'])))
    expect(judgeAnswer(r.auth, again)).toBe('pass')
    expect(tokens()).toBe(2)
    // A body of known size under the limit is sent again.
    const small = answer(`${ORG}/plans`, await r.auth.getToken(), 403, post('{"a":1}'))
    expect(judgeAnswer(r.auth, small)).toBe('retry')
  })
})

describe('dropped tokens', () => {
  it('are retried with the current token even on a held route: requests in flight together', async () => {
    const { r, answer, refused, tokens } = await setup()
    await refused(`${ORG}/held`)
    const inFlight = await r.auth.getToken()
    expect(judgeAnswer(r.auth, answer(`${ORG}/other`, inFlight, 403))).toBe('retry')
    expect(judgeAnswer(r.auth, answer(`${ORG}/held`, inFlight, 403))).toBe('retry')
    await r.auth.getToken()
    expect(tokens()).toBe(3)
  })

  it('are remembered 4 at most: the oldest is forgotten, and a 403 with it on a held route is passed on', async () => {
    const { r, answer, refused } = await setup()
    await refused(`${ORG}/held`)
    const dropped: string[] = []
    for (let i = 0; i < 5; i++) {
      const token = await r.auth.getToken()
      dropped.push(token)
      expect(judgeAnswer(r.auth, answer(`${ORG}/route${i}`, token, 403))).toBe('retry')
    }
    expect(new Set(dropped).size).toBe(5)
    expect(judgeAnswer(r.auth, answer(`${ORG}/held`, dropped[0] as string, 403))).toBe('pass')
    expect(judgeAnswer(r.auth, answer(`${ORG}/held`, dropped[1] as string, 403))).toBe('retry')
  })
})

describe('answers', () => {
  it('a 2xx that carried our token is passed on', async () => {
    const { r, answer } = await setup()
    expect(judgeAnswer(r.auth, answer(`${ORG}/a`, await r.auth.getToken(), 200))).toBe('pass')
  })

  it("from a missing or empty URL are 'unknown', never compared as text with the URL asked", () => {
    expect(answeredFrom(`${ORG}/a`, null)).toBe('unknown')
    expect(answeredFrom('', '')).toBe('unknown')
    expect(answeredFrom('null', null)).toBe('unknown')
    expect(answeredFrom('undefined', undefined)).toBe('unknown')
  })

  it("from the very URL asked are 'asked', even a relative one; another relative URL is 'unknown'", () => {
    expect(answeredFrom('/organizations/o/meters', '/organizations/o/meters')).toBe('asked')
    expect(answeredFrom('/organizations/o/meters', '/organizations/o/plans')).toBe('unknown')
  })
})

describe('headers', () => {
  it('a bearer is read only from a value that starts with the Bearer scheme, in any case', () => {
    expect(tokenOfHeader('Bearer abc')).toBe('abc')
    expect(tokenOfHeader('bEARER abc')).toBe('abc')
    expect(tokenOfHeader('xbearer abc')).toBeUndefined()
    expect(tokenOfHeader('Basic abc')).toBeUndefined()
    expect(tokenOfHeader(['Bearer abc'])).toBeUndefined()
  })

  it('a Basic of its own is read only from one header string, as a bearer is: a list is not read', () => {
    const auth = ownProvider()
    expect(shouldAuthorize(auth, 'https://api.m3ter.com/x', ['Basic abc'])).toBe(true)
    expect(shouldAuthorize(auth, 'https://api.m3ter.com/x', 'Basic abc')).toBe(false)
  })
})

describe('heldToken', () => {
  it("is the provider's fresh token, none before the first one or once it is dropped", async () => {
    const { r } = await setup()
    expect(heldToken(r.auth)).toBeUndefined()
    const token = await r.auth.getToken()
    expect(heldToken(r.auth)).toBe(token)
    r.auth.invalidate(token)
    expect(heldToken(r.auth)).toBeUndefined()
    expect(heldToken(ownProvider())).toBeUndefined()
  })
})
