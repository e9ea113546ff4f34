import { afterEach, describe, expect, it } from 'vitest'
import { type MockM3ter, startMockM3ter } from '../src/index.ts'
import { call, token } from './helpers.ts'

let m3ter: MockM3ter
afterEach(() => m3ter?.close())

const measurement = (i: number) => ({
  uid: `u${i}`,
  meter: 'calls',
  account: 'acme',
  ts: '2026-01-01T00:00:00Z',
  measure: { n: i },
})

describe('ingest', () => {
  it('accepts 1..1000 measurements and counts batches', async () => {
    m3ter = await startMockM3ter({ orgId: 'org' })
    const bearer = await token(m3ter)
    const url = `${m3ter.ingestUrl}/organizations/org/measurements`
    for (const n of [1, 1000]) {
      const res = await call(url, {
        bearer,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ measurements: Array.from({ length: n }, (_, i) => measurement(i)) }),
      })
      expect(res.status).toBe(200)
      expect(res.json).toEqual({ result: 'accepted' })
    }
    expect(m3ter.stats).toMatchObject({
      ingestBatches: 2,
      ingestMeasurements: 1001,
      ingestRequests: 2,
      apiRequests: 2,
    })
  })

  it('refuses malformed bodies with 400 {message}: bad JSON, 0 or 1001 items, missing fields', async () => {
    m3ter = await startMockM3ter({ orgId: 'org' })
    const bearer = await token(m3ter)
    const url = `${m3ter.ingestUrl}/organizations/org/measurements`
    const bodies = [
      '{not json',
      JSON.stringify({ measurements: [] }),
      JSON.stringify({ measurements: Array.from({ length: 1001 }, (_, i) => measurement(i)) }),
      JSON.stringify({ measurements: [{ meter: 'm', ts: '2026-01-01T00:00:00Z' }] }),
    ]
    for (const body of bodies) {
      const res = await call(url, { bearer, method: 'POST', body })
      expect(res.status).toBe(400)
      expect(res.json).toEqual({ message: expect.any(String) })
    }
    expect((await call(url, { bearer })).status).toBe(405)
    expect(m3ter.stats.ingestBatches).toBe(0)
  })

  it('needs a bearer like the API', async () => {
    m3ter = await startMockM3ter({ orgId: 'org' })
    const res = await call(`${m3ter.ingestUrl}/organizations/org/measurements`, {
      method: 'POST',
      body: JSON.stringify({ measurements: [measurement(1)] }),
    })
    expect(res.status).toBe(403)
  })
})
