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
    ]
    for (const body of bad) expect(validateMeasurements(body).ok).toBe(false)
  })
})
