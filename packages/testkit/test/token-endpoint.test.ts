import { afterEach, describe, expect, it } from 'vitest'
import { createManualClock, decodeJwtClaims, type MockM3ter, startMockM3ter } from '../src/index.ts'
import { basic, requestToken, token } from './helpers.ts'

let m3ter: MockM3ter
afterEach(() => m3ter?.close())

describe('POST /oauth/token', () => {
  it("answers m3ter's shape with a JWT carrying orgId, iat, exp, jti and the key id", async () => {
    const clock = createManualClock()
    m3ter = await startMockM3ter({ orgId: 'org-1', clock })
    const res = await requestToken(m3ter)
    expect(res.status).toBe(200)
    const body = JSON.parse(res.text)
    expect(body).toEqual({ token_type: 'Bearer', access_token: expect.any(String), expires_in: 18000 })
    const claims = decodeJwtClaims(body.access_token)
    expect(claims).toMatchObject({
      orgId: 'org-1',
      keyId: m3ter.keys[0]?.accessKeyId,
      iat: clock.now() / 1000,
    })
    expect(claims!.exp - claims!.iat).toBe(18000)
    expect(m3ter.issuedTokens).toEqual([body.access_token])
  })

  it('lives on the API origin, as on m3ter: tokenUrl is apiUrl + /oauth/token', async () => {
    m3ter = await startMockM3ter()
    expect(m3ter.tokenUrl).toBe(`${m3ter.apiUrl}/oauth/token`)
    expect((await requestToken(m3ter)).status).toBe(200)
    expect(m3ter.stats).toMatchObject({ tokenRequests: 1, tokensIssued: 1, apiRequests: 0 })
    expect(m3ter.log.map((entry) => entry.origin)).toEqual(['token'])
    // The ingest origin has no token endpoint, as on m3ter.
    const ingest = await fetch(`${m3ter.ingestUrl}/oauth/token`, { method: 'POST' })
    expect(ingest.status).toBe(404)
    expect(m3ter.stats.tokenRequests).toBe(1)
  })

  it('token faults apply to the token endpoint on the API origin, not to the API beside it', async () => {
    m3ter = await startMockM3ter({ orgId: 'org' })
    m3ter.faults.inject('token', { kind: 'status', status: 503 })
    const bearer = await token(m3ter).catch(() => undefined)
    expect(bearer).toBeUndefined()
    const res = await fetch(`${m3ter.apiUrl}/organizations/org/meters`, {
      headers: { authorization: `Bearer ${await token(m3ter)}` },
    })
    expect(res.status).toBe(200)
    expect(m3ter.stats).toMatchObject({ tokenRequests: 2, tokenFailures: 1, apiRequests: 1 })
  })

  it('lives on an origin of its own with separateTokenOrigin, apart from api and ingest', async () => {
    m3ter = await startMockM3ter({ separateTokenOrigin: true })
    const origins = [m3ter.apiUrl, m3ter.ingestUrl, new URL(m3ter.tokenUrl).origin]
    expect(new Set(origins).size).toBe(3)
    expect(m3ter.tokenUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/token$/)
    expect((await requestToken(m3ter)).status).toBe(200)
    const onApi = await fetch(`${m3ter.apiUrl}/oauth/token`, { method: 'POST' })
    expect(onApi.status).toBe(404)
    expect(m3ter.stats.tokenRequests).toBe(1)
  })

  it('accepts a form body and a configured lifetime', async () => {
    m3ter = await startMockM3ter({ tokenLifetimeSeconds: 60 })
    const res = await requestToken(m3ter, undefined, {
      body: 'grant_type=client_credentials',
      contentType: 'application/x-www-form-urlencoded',
    })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.text).expires_in).toBe(60)
  })

  it('checks Basic auth as base64 of raw UTF-8 bytes (non-ASCII secret)', async () => {
    const key = { accessKeyId: 'key-ü', apiSecret: 'sécret:with:colons ✓' }
    m3ter = await startMockM3ter({ keys: [key] })
    expect((await requestToken(m3ter, key)).status).toBe(200)
    // What percent-encoding OAuth libraries send instead (RFC 6749 §2.3.1) is a different credential here.
    const encoded = {
      accessKeyId: encodeURIComponent(key.accessKeyId),
      apiSecret: encodeURIComponent(key.apiSecret),
    }
    expect((await requestToken(m3ter, encoded)).status).toBe(401)
  })

  it('answers 401 {message} for a wrong secret, unknown key, inactive key or no Basic auth', async () => {
    m3ter = await startMockM3ter({
      keys: [
        { accessKeyId: 'a', apiSecret: 's' },
        { accessKeyId: 'b', apiSecret: 't', active: false },
      ],
    })
    for (const key of [
      { accessKeyId: 'a', apiSecret: 'wrong' },
      { accessKeyId: 'zzz', apiSecret: 's' },
      { accessKeyId: 'b', apiSecret: 't' },
    ]) {
      const res = await requestToken(m3ter, key)
      expect(res.status).toBe(401)
      expect(JSON.parse(res.text)).toEqual({ message: expect.any(String) })
    }
    const bare = await fetch(m3ter.tokenUrl, { method: 'POST', body: '{"grant_type":"client_credentials"}' })
    expect(bare.status).toBe(401)
    expect(m3ter.stats).toMatchObject({ tokenRequests: 4, tokenFailures: 4, tokensIssued: 0 })
    expect(m3ter.stats.tokenRequestsByKey).toEqual({ a: 1, zzz: 1, b: 1, '(none)': 1 })
  })

  it('answers 400 for another grant_type or an unreadable body, 405 for GET, 404 elsewhere on its origin', async () => {
    m3ter = await startMockM3ter({ separateTokenOrigin: true })
    expect((await requestToken(m3ter, undefined, { body: '{"grant_type":"password"}' })).status).toBe(400)
    expect((await requestToken(m3ter, undefined, { body: '{oops' })).status).toBe(400)
    expect((await requestToken(m3ter, undefined, { body: '' })).status).toBe(400)
    const get = await fetch(m3ter.tokenUrl, { headers: { authorization: basic(m3ter.keys[0]!) } })
    expect(get.status).toBe(405)
    const other = await fetch(new URL('/other', m3ter.tokenUrl))
    expect(other.status).toBe(404)
    expect(await other.json()).toEqual({ message: expect.any(String) })
  })
})
