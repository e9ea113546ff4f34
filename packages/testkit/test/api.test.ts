import { afterEach, describe, expect, it } from 'vitest'
import { createManualClock, type MockM3ter, startMockM3ter } from '../src/index.ts'
import { call, token } from './helpers.ts'

let m3ter: MockM3ter
afterEach(() => m3ter?.close())

describe('config API', () => {
  it('pages through 250 meters with pageSize and nextToken', async () => {
    m3ter = await startMockM3ter({ orgId: 'org' })
    const bearer = await token(m3ter)
    const ids: string[] = []
    let next: string | undefined
    let pages = 0
    do {
      const query = new URLSearchParams({ pageSize: '100', ...(next ? { nextToken: next } : {}) })
      const res = await call(`${m3ter.apiUrl}/organizations/org/meters?${query}`, { bearer })
      expect(res.status).toBe(200)
      const body = res.json as { data: { id: string }[]; nextToken?: string }
      ids.push(...body.data.map((m) => m.id))
      next = body.nextToken
      pages++
    } while (next)
    expect(pages).toBe(3)
    expect(new Set(ids).size).toBe(250)
    expect(m3ter.stats.apiRequests).toBe(3)
    expect(m3ter.stats.apiRequestsByStatus).toEqual({ 200: 3 })
  })

  it('lists accounts, gets one item, and refuses a bad pageSize with 400', async () => {
    m3ter = await startMockM3ter({ orgId: 'org', accounts: 5 })
    const bearer = await token(m3ter)
    const list = await call(`${m3ter.apiUrl}/organizations/org/accounts?pageSize=100`, { bearer })
    expect((list.json.data as unknown[]).length).toBe(5)
    expect(list.json.nextToken).toBeUndefined()
    const one = await call(`${m3ter.apiUrl}/organizations/org/accounts/account-0003`, { bearer })
    expect(one.json).toMatchObject({ code: 'account-0003' })
    for (const size of ['0', '101', 'x'])
      expect(
        (await call(`${m3ter.apiUrl}/organizations/org/meters?pageSize=${size}`, { bearer })).status,
      ).toBe(400)
    expect((await call(`${m3ter.apiUrl}/organizations/org/meters?nextToken=zz`, { bearer })).status).toBe(400)
    expect(
      (await call(`${m3ter.apiUrl}/organizations/org/meters`, { bearer, method: 'DELETE' })).status,
    ).toBe(405)
  })

  it('echo answers method, body and content type on the api and ingest origins', async () => {
    m3ter = await startMockM3ter({ orgId: 'org' })
    const bearer = await token(m3ter)
    for (const base of [m3ter.apiUrl, m3ter.ingestUrl])
      for (const method of ['POST', 'PUT', 'PATCH']) {
        const res = await call(`${base}/organizations/org/echo?x=1`, {
          bearer,
          method,
          body: 'héllo body',
          headers: { 'content-type': 'text/plain', 'x-custom': 'kept' },
        })
        expect(res.json).toMatchObject({
          method,
          body: 'héllo body',
          bytes: Buffer.byteLength('héllo body'),
          contentType: 'text/plain',
          query: { x: '1' },
          headers: { 'x-custom': 'kept' },
        })
        expect((res.json.headers as Record<string, string>).authorization).toBeUndefined()
      }
    const get = await call(`${m3ter.apiUrl}/organizations/org/echo`, { bearer })
    expect(get.json).toMatchObject({ method: 'GET', body: '', contentType: null })
  })

  it('refuses missing, malformed, tampered, expired, revoked and foreign-org bearers with 403 {message}', async () => {
    const clock = createManualClock()
    m3ter = await startMockM3ter({ orgId: 'org', clock })
    const url = `${m3ter.apiUrl}/organizations/org/meters`
    const good = await token(m3ter)
    expect((await call(url, { bearer: good })).status).toBe(200)
    const [h, p, s] = good.split('.') as [string, string, string]
    const otherOrg = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), orgId: 'x' }),
    )
    const bad = [
      undefined,
      'garbage',
      `${h}.${p}.${s.slice(0, -4)}AAAA`,
      `${h}.${otherOrg.toString('base64url')}.${s}`,
    ]
    for (const bearer of bad) {
      const res = await call(url, bearer ? { bearer } : {})
      expect(res.status).toBe(403)
      expect(res.json).toEqual({ message: expect.any(String) })
    }
    // a good token is still refused on another org's path, but that is not a token rejection
    expect((await call(`${m3ter.apiUrl}/organizations/other/meters`, { bearer: good })).status).toBe(403)
    expect(m3ter.stats).toMatchObject({ bearerRejections: 4, unknownOrganizations: 1 })
    expect((await call(url, { headers: { authorization: `Basic ${good}` } })).status).toBe(403)
    m3ter.revoke(good)
    expect((await call(url, { bearer: good })).status).toBe(403)
    const fresh = await token(m3ter)
    expect((await call(url, { bearer: fresh })).status).toBe(200)
    await clock.advance(18000 * 1000 - 1)
    expect((await call(url, { bearer: fresh })).status).toBe(200)
    await clock.advance(1)
    // m3ter documents the status and the shape (OpenAPI `Error`: {message}), not the wording.
    const expired = await call(url, { bearer: fresh })
    expect({ status: expired.status, json: expired.json }).toEqual({
      status: 403,
      json: { message: expect.any(String) },
    })
    expect(m3ter.stats.bearerRejections).toBe(7)
  })

  it('answers 401 instead when rejectStatus is 401, and tokens of another mock are refused', async () => {
    m3ter = await startMockM3ter({ orgId: 'org', rejectStatus: 401 })
    const other = await startMockM3ter({ orgId: 'org' })
    try {
      const foreignToken = await token(other)
      expect((await call(`${m3ter.apiUrl}/organizations/org/meters`, { bearer: foreignToken })).status).toBe(
        401,
      )
    } finally {
      await other.close()
    }
  })

  it('answers 404 {message} for unknown routes, with or without a bearer', async () => {
    m3ter = await startMockM3ter({ orgId: 'org' })
    const bearer = await token(m3ter)
    for (const path of ['/', '/nope', '/organizations/org/nope', '/organizations/org/meters/zzz']) {
      const res = await call(`${m3ter.apiUrl}${path}`, { bearer })
      expect(res.status).toBe(404)
      expect(res.json).toEqual({ message: expect.any(String) })
    }
    expect((await call(`${m3ter.ingestUrl}/organizations/org/meters`, { bearer })).status).toBe(404)
  })
})
