import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { type MockM3ter, startMockM3ter } from '../src/index.ts'
import { call, token } from './helpers.ts'

let m3ter: MockM3ter
afterEach(() => m3ter?.close())

const raw = (url: string, payload: string) =>
  new Promise<string>((resolve) => {
    const { port } = new URL(url)
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(payload))
    let data = ''
    socket.on('data', (chunk) => {
      data += chunk
    })
    socket.on('close', () => resolve(data))
    socket.on('error', () => resolve(data))
  })

describe('bad input never crashes the mock', () => {
  it('malformed HTTP gets 400 and the server keeps serving', async () => {
    m3ter = await startMockM3ter({ orgId: 'org' })
    for (const url of [m3ter.apiUrl, m3ter.ingestUrl, m3ter.tokenUrl]) {
      expect(await raw(url, 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/)
      expect(await raw(url, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n')).toMatch(
        /^HTTP\/1\.1 400/,
      )
    }
    expect(
      (await call(`${m3ter.apiUrl}/organizations/org/meters`, { bearer: await token(m3ter) })).status,
    ).toBe(200)
  })

  it('odd paths, encodings, methods and bodies get 4xx {message}, never a crash', async () => {
    m3ter = await startMockM3ter({ orgId: 'org' })
    const bearer = await token(m3ter)
    const cases: Array<[string, RequestInit]> = [
      [`${m3ter.apiUrl}/organizations/%E0%A4%A/meters`, {}],
      [`${m3ter.apiUrl}/organizations//meters`, {}],
      [`${m3ter.apiUrl}/organizations/org/meters?pageSize=%00`, {}],
      [`${m3ter.ingestUrl}/organizations/org/measurements`, { method: 'POST', body: '\u0000\uFFFF' }],
      [`${m3ter.ingestUrl}/organizations/org/measurements`, { method: 'POST', body: 'null' }],
      [`${m3ter.tokenUrl}?x=1`, { method: 'POST', body: '{"grant_type":{"nested":true}}' }],
      [`${m3ter.apiUrl}/organizations/org/meters`, { method: 'OPTIONS' }],
    ]
    for (const [url, init] of cases) {
      const res = await call(url, { bearer, ...init })
      expect(res.status).toBeGreaterThanOrEqual(400)
      expect(res.status).toBeLessThan(500)
      expect(res.json).toEqual({ message: expect.any(String) })
    }
    const huge = await call(`${m3ter.ingestUrl}/organizations/org/measurements`, {
      bearer,
      method: 'POST',
      body: 'x'.repeat(2 * 1024 * 1024),
    })
    expect(huge.status).toBe(403)
    expect((await call(`${m3ter.apiUrl}/organizations/org/meters`, { bearer })).status).toBe(200)
  })
})
