import { describe, expect, it } from 'vitest'
import { validateMeasurements } from './measurements.ts'

const item = {
  uid: 'u1',
  meter: 'api-calls',
  account: 'acme',
  ts: '2026-01-01T00:00:00Z',
  measure: { calls: 1 },
}

describe('validateMeasurements', () => {
  it('accepts 1 to 1000 items with meter, account and ts', () => {
    expect(validateMeasurements({ measurements: [item] })).toEqual({ ok: true, count: 1 })
    expect(validateMeasurements({ measurements: Array(1000).fill(item) })).toEqual({ ok: true, count: 1000 })
  })

  it("accepts m3ter's limits exactly: 80-character codes with inner spaces, a 50-character uid, offsets, ets", () => {
    const edge = {
      ...item,
      meter: 'm'.repeat(80),
      account: 'Acme Corp Ltd',
      uid: 'u'.repeat(50),
      ts: '2026-03-01T12:30:45.123+05:30',
      ets: '2026-03-01T13:00:00z',
      who: { user: 'ada' },
      cost: { usd: 0.5 },
    }
    expect(validateMeasurements({ measurements: [edge] })).toEqual({ ok: true, count: 1 })
    expect(validateMeasurements({ measurements: [{ ...item, ts: '2026-01-01T00:00:00Z' }] }).ok).toBe(true)
  })

  it('names the field and item of the first problem', () => {
    expect(validateMeasurements({ measurements: [item, { ...item, ts: 'Jan 1 2025' }] })).toEqual({
      ok: false,
      message: expect.stringMatching(/^measurements\[1\]: ts must be an ISO 8601 date-time/),
    })
  })

  it('refuses empty, too many, missing fields, bad ts and wrong shapes', () => {
    const bad: unknown[] = [
      null,
      [],
      'x',
      {},
      { measurements: [] },
      { measurements: Array(1001).fill(item) },
      { measurements: [{ ...item, meter: undefined }] },
      { measurements: [{ ...item, account: '' }] },
      { measurements: [{ ...item, ts: 'yesterday' }] },
      { measurements: [{ ...item, uid: 5 }] },
      { measurements: [{ ...item, measure: [1] }] },
      { measurements: [42] },
      { measurements: [{ ...item, ts: 'Jan 1 2025' }] },
      { measurements: [{ ...item, ts: '2026-01-01T00:00:00' }] },
      { measurements: [{ ...item, ts: '2026-02-30T00:00:00Z' }] },
      { measurements: [{ ...item, ts: '2026-01-01T24:00:00Z' }] },
      { measurements: [{ ...item, ets: '2026-01-01' }] },
      { measurements: [{ ...item, meter: 'm'.repeat(81) }] },
      { measurements: [{ ...item, account: ' acme' }] },
      { measurements: [{ ...item, account: 'acme\tcorp' }] },
      { measurements: [{ ...item, meter: 'calls\u0000' }] },
      { measurements: [{ ...item, uid: 'u'.repeat(51) }] },
      { measurements: [{ ...item, measure: { calls: '1' } }] },
      { measurements: [{ ...item, who: { user: 7 } }] },
    ]
    for (const body of bad) expect(validateMeasurements(body).ok).toBe(false)
  })
})
