import { afterEach, describe, expect, it } from 'vitest'
import { INGEST_MAX_BYTES, type MockM3ter, startMockM3ter } from '../src/index.ts'
import { call, requestToken, token } from './helpers.ts'

let m3ter: MockM3ter
afterEach(() => m3ter?.close())

const measurement = (i: number) => ({
  uid: `u-${i}`,
  meter: 'meter-0001',
  account: 'account-0001',
  ts: '2026-01-01T00:00:00Z',
  measure: { units: i },
})

describe('permissions: 403s that are not about the token', () => {
  it('a denied route gets 403 {message} with a good token; other routes and methods still work', async () => {
    m3ter = await startMockM3ter({ orgId: 'org', deny: ['GET /organizations/{orgId}/accounts'] })
    const bearer = await token(m3ter)
    const denied = await call(`${m3ter.apiUrl}/organizations/org/accounts`, { bearer })
    expect(denied.status).toBe(403)
    expect(denied.json).toEqual({ message: expect.any(String) })
    expect(m3ter.stats).toMatchObject({ forbiddenRoutes: 1, bearerRejections: 0 })
    expect((await call(`${m3ter.apiUrl}/organizations/org/accounts/account-0001`, { bearer })).status).toBe(
      200,
    )
    expect((await call(`${m3ter.apiUrl}/organizations/org/meters`, { bearer })).status).toBe(200)
    expect(m3ter.stats).toMatchObject({
      forbiddenRoutes: 1,
      bearerRejections: 0,
      apiRequestsByStatus: { 200: 2, 403: 1 },
    })
    expect(m3ter.log.map((entry) => entry.refusal)).toEqual([undefined, 'route', undefined, undefined])
  })

  it('patterns: * is one segment, ** any rest, a RegExp, a method, one key of two', async () => {
    m3ter = await startMockM3ter({
      orgId: 'org',
      keys: [
        { accessKeyId: 'a', apiSecret: 's' },
        { accessKeyId: 'b', apiSecret: 't' },
      ],
      deny: [
        '/organizations/*/meters/*',
        { method: 'post', path: '/organizations/{orgId}/**' },
        { path: /\/echo$/, accessKeyId: 'b' },
      ],
    })
    const a = JSON.parse((await requestToken(m3ter, { accessKeyId: 'a', apiSecret: 's' })).text).access_token
    const b = JSON.parse((await requestToken(m3ter, { accessKeyId: 'b', apiSecret: 't' })).text).access_token
    const status = async (path: string, bearer: string, method = 'GET', base = m3ter.apiUrl) =>
      (
        await call(`${base}/organizations/org${path}`, {
          bearer,
          method,
          ...(method === 'POST' ? { body: '{}' } : {}),
        })
      ).status
    expect(await status('/meters/meter-0001', a)).toBe(403)
    expect(await status('/meters', a)).toBe(200)
    expect(await status('/echo', a, 'POST')).toBe(403)
    expect(await status('/echo', a, 'PUT')).toBe(200)
    expect(await status('/echo', a)).toBe(200)
    expect(await status('/echo', b)).toBe(403)
    expect(await status('/echo', b, 'GET', m3ter.ingestUrl)).toBe(403)
    expect(m3ter.stats).toMatchObject({ forbiddenRoutes: 4, bearerRejections: 0 })
  })

  it('changes while running: deny gives back an undo, allowAll clears the options too', async () => {
    m3ter = await startMockM3ter({ orgId: 'org', deny: ['/organizations/org/accounts'] })
    const bearer = await token(m3ter)
    const url = (path: string) => `${m3ter.apiUrl}/organizations/org${path}`
    const undo = m3ter.permissions.deny('GET /organizations/{orgId}/meters')
    expect((await call(url('/meters'), { bearer })).status).toBe(403)
    expect(m3ter.permissions.allows(m3ter.keys[0]!.accessKeyId, 'GET', '/organizations/org/meters')).toBe(
      false,
    )
    undo()
    expect((await call(url('/meters'), { bearer })).status).toBe(200)
    expect((await call(url('/accounts'), { bearer })).status).toBe(403)
    m3ter.permissions.allowAll()
    expect((await call(url('/accounts'), { bearer })).status).toBe(200)
    expect(() => m3ter.permissions.deny('meters')).toThrow(/starts with '\/'/)
  })

  it('an unknown organization gets 403 with a good token, counted apart from token rejections', async () => {
    m3ter = await startMockM3ter({ orgId: 'org' })
    const bearer = await token(m3ter)
    for (const base of [m3ter.apiUrl, m3ter.ingestUrl]) {
      const res = await call(`${base}/organizations/other-org/meters`, { bearer })
      expect(res.status).toBe(403)
      expect(res.json).toEqual({ message: expect.any(String) })
    }
    expect(m3ter.stats).toMatchObject({ unknownOrganizations: 2, bearerRejections: 0 })
    // A bad token is a token rejection first, whatever the organization.
    expect((await call(`${m3ter.apiUrl}/organizations/other-org/meters`, { bearer: 'x.y.z' })).status).toBe(
      403,
    )
    expect(m3ter.stats).toMatchObject({ unknownOrganizations: 2, bearerRejections: 1 })
    expect(m3ter.log.at(-1)?.refusal).toBe('token')
  })

  it('stays 403 for permissions and organizations with rejectStatus 401, where only token rejections are 401', async () => {
    m3ter = await startMockM3ter({ orgId: 'org', rejectStatus: 401, deny: ['/organizations/org/accounts'] })
    const bearer = await token(m3ter)
    expect((await call(`${m3ter.apiUrl}/organizations/org/accounts`, { bearer })).status).toBe(403)
    expect((await call(`${m3ter.apiUrl}/organizations/nope/accounts`, { bearer })).status).toBe(403)
    expect((await call(`${m3ter.apiUrl}/organizations/org/accounts`, { bearer: 'bad' })).status).toBe(401)
  })

  it(`an ingest body of ${INGEST_MAX_BYTES} bytes or more gets 403 (one byte less is accepted), whatever the token`, async () => {
    m3ter = await startMockM3ter({ orgId: 'org' })
    const bearer = await token(m3ter)
    const url = `${m3ter.ingestUrl}/organizations/org/measurements`
    const sized = (bytes: number) => {
      const base = JSON.stringify({ measurements: [{ ...measurement(1), other: { pad: '' } }] })
      const body = JSON.stringify({
        measurements: [{ ...measurement(1), other: { pad: 'x'.repeat(bytes - base.length) } }],
      })
      expect(Buffer.byteLength(body)).toBe(bytes)
      return body
    }
    const over = await call(url, { bearer, method: 'POST', body: sized(INGEST_MAX_BYTES) })
    expect(over.status).toBe(403)
    expect(over.json).toEqual({ message: expect.any(String) })
    expect(m3ter.stats).toMatchObject({ oversizeBodies: 1, bearerRejections: 0 })
    expect((await call(url, { method: 'POST', body: sized(INGEST_MAX_BYTES + 10) })).status).toBe(403)
    expect((await call(url, { bearer, method: 'POST', body: sized(INGEST_MAX_BYTES - 1) })).status).toBe(200)
    expect(m3ter.stats).toMatchObject({ oversizeBodies: 2, bearerRejections: 0, ingestBatches: 1 })
    expect(m3ter.log.map((entry) => entry.refusal)).toEqual([undefined, 'body-size', 'body-size', undefined])
  })
})
