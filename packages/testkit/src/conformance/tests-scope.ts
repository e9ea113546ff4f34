import type { SuiteContext } from './context.ts'
import type { Harness } from './harness.ts'

const carriesIssuedToken = (h: Harness, headers: Record<string, string>) =>
  h.m3ter.issuedTokens.some((token) => Object.values(headers).some((value) => value.includes(token)))

/** §4.6: the bearer goes only to origins in scope, never across a redirect; others pass untouched. */
export function scopeTests({ test, harness, expect }: SuiteContext): void {
  test('4.6', 'the bearer goes to both origins in scope: api and ingest', async () => {
    const h = await harness()
    const body = JSON.stringify({
      measurements: [
        { uid: 'u1', meter: 'calls', account: 'acme', ts: '2026-01-01T00:00:00Z', measure: { n: 1 } },
      ],
    })
    const ingest = await h.send({
      method: 'POST',
      url: h.ingest('/measurements'),
      body: { kind: 'text', text: body, contentType: 'application/json' },
    })
    expect(ingest.status).toBe(200)
    expect(JSON.parse(ingest.body)).toEqual({ result: 'accepted' })
    expect((await h.send({ method: 'GET', url: h.api('/accounts') })).status).toBe(200)
    const log = h.apiLog()
    expect(log.map((entry) => entry.origin)).toEqual(['ingest', 'api'])
    for (const entry of log) expect(h.bearerOf(entry)).toBe(h.m3ter.issuedTokens[0])
    expect(h.m3ter.stats.tokenRequests).toBe(1)
  })

  test('4.6', 'an out-of-scope request gets no Authorization and causes no token request', async () => {
    const h = await harness()
    const res = await h.send({ method: 'GET', url: `${h.foreign.url}/anything` })
    expect(res.status).toBe(200)
    expect(h.foreign.requests).toHaveLength(1)
    expect(h.foreign.requests[0]?.headers.authorization).toBeUndefined()
    expect(h.m3ter.stats.tokenRequests).toBe(0)
  })

  test('4.6', "an out-of-scope request keeps the user's own Authorization header untouched", async () => {
    const h = await harness()
    expect((await h.send({ method: 'GET', url: h.api('/meters') })).status).toBe(200)
    const own = 'Bearer users-own-token-for-another-service'
    const res = await h.send({
      method: 'POST',
      url: `${h.foreign.url}/hook`,
      headers: { authorization: own, 'x-user': 'kept' },
      body: { kind: 'text', text: 'payload', contentType: 'text/plain' },
    })
    expect(res.status).toBe(200)
    expect(h.foreign.requests[0]?.headers.authorization).toBe(own)
    expect(h.foreign.requests[0]?.headers['x-user']).toBe('kept')
    expect(h.foreign.requests[0]?.body).toBe('payload')
  })

  test('4.6', 'the token endpoint origin is not in scope: no bearer is sent there', async () => {
    const h = await harness({ mock: { separateTokenOrigin: true } })
    expect((await h.send({ method: 'GET', url: h.api('/meters') })).status).toBe(200)
    const tokenOrigin = new URL(h.m3ter.tokenUrl).origin
    const res = await h.send({ method: 'GET', url: `${tokenOrigin}/status` })
    expect(res.status).toBe(404)
    const entry = h.m3ter.log.filter((e) => e.origin === 'token' && e.url === '/status')
    expect(entry).toHaveLength(1)
    expect(entry[0]?.headers.authorization).toBeUndefined()
  })

  for (const status of [302, 307] as const)
    test('4.6', `a ${status} redirect from the api to another origin does not carry the bearer`, async () => {
      const h = await harness()
      expect((await h.send({ method: 'GET', url: h.api('/meters') })).status).toBe(200)
      h.m3ter.faults.inject('api', { kind: 'redirect', location: `${h.foreign.url}/landing`, status })
      const res = await h.send({ method: 'GET', url: h.api('/meters') })
      // A client may follow (then the foreign server answered) or hand back the redirect; both are fine.
      expect([200, status]).toContain(res.status)
      // Handed back: no hop; followed: exactly one, with no token in any header.
      expect(h.foreign.requests).toHaveLength(res.status === status ? 0 : 1)
      for (const request of h.foreign.requests) {
        expect(carriesIssuedToken(h, request.headers)).toBe(false)
        expect(request.headers.authorization).toBeUndefined()
      }
    })
}
