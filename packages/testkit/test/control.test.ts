import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { type MockM3ter, startMockM3ter } from '../src/index.ts'
import { call, requestToken, token } from './helpers.ts'

let m3ter: MockM3ter
afterEach(() => m3ter?.close())

describe('control', () => {
  it('revoke(token) refuses that token only; revokeAll() every token so far, not later ones', async () => {
    m3ter = await startMockM3ter({ orgId: 'org' })
    const url = `${m3ter.apiUrl}/organizations/org/meters`
    const [a, b] = [await token(m3ter), await token(m3ter)]
    m3ter.revoke(a)
    expect((await call(url, { bearer: a })).status).toBe(403)
    expect((await call(url, { bearer: b })).status).toBe(200)
    m3ter.revokeAll()
    expect((await call(url, { bearer: b })).status).toBe(403)
    expect((await call(url, { bearer: await token(m3ter) })).status).toBe(200)
    m3ter.revoke('not-a-token')
  })

  it('deactivateKey / activateKey / addKey (max two) / removeKey', async () => {
    m3ter = await startMockM3ter()
    const [first] = m3ter.keys
    m3ter.deactivateKey(first!.accessKeyId)
    expect((await requestToken(m3ter, first)).status).toBe(401)
    m3ter.activateKey(first!.accessKeyId)
    expect((await requestToken(m3ter, first)).status).toBe(200)
    const second = m3ter.addKey({ apiSecret: 'chosen' })
    expect(second.apiSecret).toBe('chosen')
    expect((await requestToken(m3ter, second)).status).toBe(200)
    expect(() => m3ter.addKey()).toThrow(/at most 2/)
    expect(m3ter.removeKey(first!.accessKeyId)).toBe(true)
    expect((await requestToken(m3ter, first)).status).toBe(401)
    expect(m3ter.keys).toHaveLength(1)
  })

  it("rotateKeys(): a new active key, the previous one inactive, as m3ter's rotation", async () => {
    m3ter = await startMockM3ter()
    const { previous, next } = m3ter.rotateKeys()
    expect(previous?.active).toBe(false)
    expect((await requestToken(m3ter, previous)).status).toBe(401)
    expect((await requestToken(m3ter, next)).status).toBe(200)
    const again = m3ter.rotateKeys()
    expect(again.previous?.accessKeyId).toBe(next.accessKeyId)
    expect(m3ter.keys.map((key) => key.accessKeyId)).toEqual([next.accessKeyId, again.next.accessKeyId])
  })

  it('stats, log (with Authorization) and issuedTokens are evidence; reset() clears them, keys stay', async () => {
    m3ter = await startMockM3ter({ orgId: 'org' })
    const bearer = await token(m3ter)
    await call(`${m3ter.apiUrl}/organizations/org/meters`, { bearer })
    expect(m3ter.issuedTokens).toEqual([bearer])
    expect(m3ter.log.map((entry) => [entry.origin, entry.method, entry.status])).toEqual([
      ['token', 'POST', 200],
      ['api', 'GET', 200],
    ])
    expect(m3ter.log[1]?.headers.authorization).toBe(`Bearer ${bearer}`)
    expect(m3ter.log[0]?.body).toContain('client_credentials')
    m3ter.revokeAll()
    m3ter.faults.inject('token', { kind: 'status', status: 500 })
    const keys = m3ter.keys
    m3ter.reset()
    expect(m3ter.log).toEqual([])
    expect(m3ter.issuedTokens).toEqual([])
    expect(m3ter.stats.tokenRequests).toBe(0)
    expect(m3ter.keys).toEqual(keys)
    expect((await call(`${m3ter.apiUrl}/organizations/org/meters`, { bearer })).status).toBe(200)
    expect((await requestToken(m3ter)).status).toBe(200)
  })

  it('close() frees all three ports even with hung requests and idle keep-alive sockets', async () => {
    m3ter = await startMockM3ter({ separateTokenOrigin: true })
    const ports = [m3ter.apiUrl, m3ter.ingestUrl, m3ter.tokenUrl].map((url) => Number(new URL(url).port))
    m3ter.faults.inject('token', { kind: 'hang' })
    const hung = fetch(m3ter.tokenUrl, { method: 'POST' }).catch(() => 'cut')
    await fetch(`${m3ter.apiUrl}/`, { headers: { connection: 'keep-alive' } }).then((res) => res.text())
    await new Promise((resolve) => setImmediate(resolve))
    const start = performance.now()
    await m3ter.close()
    expect(performance.now() - start).toBeLessThan(1000)
    expect(await hung).toBe('cut')
    await m3ter.close() // idempotent
    for (const port of ports) {
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1')
        socket.on('connect', () => {
          socket.destroy()
          resolve(false)
        })
        socket.on('error', () => resolve(true))
      })
      expect(refused).toBe(true)
    }
    // the same ports can be bound again at once
    m3ter = await startMockM3ter({
      separateTokenOrigin: true,
      ports: { api: ports[0]!, ingest: ports[1]!, token: ports[2]! },
    })
    expect(m3ter.apiUrl).toBe(`http://127.0.0.1:${ports[0]}`)
  })
})
