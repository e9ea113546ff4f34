import { describe, expect, it } from 'vitest'
import { KeyRing } from './keys.ts'

describe('KeyRing', () => {
  it('holds at most two keys, as m3ter allows', () => {
    const ring = new KeyRing([{ accessKeyId: 'a', apiSecret: 's' }])
    ring.add()
    expect(() => ring.add()).toThrow(/at most 2/)
    expect(() => new KeyRing([{}, {}, {}])).toThrow()
  })

  it('rotates: drops the inactive key, adds a new active one, retires the previous', () => {
    const ring = new KeyRing([
      { accessKeyId: 'old', apiSecret: 's' },
      { accessKeyId: 'older', apiSecret: 's', active: false },
    ])
    const { previous, next } = ring.rotate()
    expect(previous?.accessKeyId).toBe('old')
    expect(ring.list()).toEqual([
      { accessKeyId: 'old', apiSecret: 's', active: false },
      { ...next, active: true },
    ])
  })

  it('refuses duplicate ids and unknown keys', () => {
    const ring = new KeyRing([{ accessKeyId: 'a' }])
    expect(() => ring.add({ accessKeyId: 'a' })).toThrow()
    expect(() => ring.setActive('zzz', false)).toThrow()
    expect(ring.remove('a')).toBe(true)
    expect(ring.list()).toEqual([])
  })
})
