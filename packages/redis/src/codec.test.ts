import { createTokenCipher } from '@m3ter-auth/core/internals'
import { describe, expect, it } from 'vitest'
import { decodeValue, encodeValue, MAX_LIFETIME_MS, VALUE_VERSION } from './codec.ts'
import { isWeakKey, sha256Hex } from './crypto.ts'

// Made once by the 1.x format (absolute times), kept to prove that such a value is ignored, never misread.
const EARLIER = {
  key: 'AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM09o=',
  context: 'm3ter:token:ctx',
  value:
    '{"v":1,"sealed":"AGuP3VJuSgmIJxvt.iWs1a49HGWLdYt8/hwf0NTlTPIo4h8v8xUDET6mkzBhzlK9jgt4IDjveD7nan1ikkSa3s6sqF2XD7p0glPHVMK5k71EEcgTNJOWLc2KnnoiNJnN4OSaiH8Px5a92x/cl31nLbGSKvkI3aJKb+bVtarKLNjmzTuJUt7x3vfPGkXPxJA=="}',
}
const LIFETIME = 18_000_000
// The writer's clock: obtained at 1 000, now 61 000 (a minute later), refresh at 80 % of the lifetime.
const token = {
  accessToken: 'eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2ln',
  obtainedAt: 1000,
  expiresAt: 1000 + LIFETIME,
  refreshAt: 1000 + 14_400_000,
}
const WRITTEN_AT = 61_000

describe('stored values', () => {
  it('keeps durations; a reader rebuilds the times from its own clock and the TTL Redis kept', async () => {
    const encoded = await encodeValue(token, WRITTEN_AT, 'k')
    expect(encoded?.ttlMs).toBe(LIFETIME - 60_000)
    expect(JSON.parse(encoded!.value)).toEqual({
      v: VALUE_VERSION,
      t: await sha256Hex(token.accessToken),
      token: { accessToken: token.accessToken, lifetimeMs: LIFETIME, refreshMs: 14_400_000 },
    })
    // A reader 15 minutes behind the writer, reading 10 s later (Redis's TTL went down by 10 s).
    const skewed = WRITTEN_AT - 15 * 60_000 + 10_000
    const pttl = encoded!.ttlMs - 10_000
    const read = await decodeValue(encoded!.value, pttl, skewed, 'k')
    expect(read).toEqual({
      token: {
        accessToken: token.accessToken,
        expiresAt: skewed + pttl,
        obtainedAt: skewed + pttl - LIFETIME,
        refreshAt: skewed + pttl - LIFETIME + 14_400_000,
      },
    })
  })

  it('seals a token so that only the same key and Redis key open it, and never writes it in clear', async () => {
    const key = createTokenCipher(EARLIER.key, 'createRedisStore')
    const { value, ttlMs } = (await encodeValue(token, WRITTEN_AT, 'k', key))!
    expect(value).not.toContain('eyJ')
    expect(JSON.parse(value)).toEqual({
      v: VALUE_VERSION,
      t: expect.stringMatching(/^[0-9a-f]{64}$/),
      sealed: expect.stringMatching(/^[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/),
    })
    expect(await decodeValue(value, ttlMs, WRITTEN_AT, 'k', key)).toEqual({ token })
    const other = createTokenCipher(crypto.getRandomValues(new Uint8Array(32)), 'createRedisStore')
    expect(await decodeValue(value, ttlMs, WRITTEN_AT, 'k', other)).toEqual({ ignored: 'wrong_key' })
    expect(await decodeValue(value, ttlMs, WRITTEN_AT, 'another', key)).toEqual({ ignored: 'wrong_key' })
    expect(await decodeValue(value, ttlMs, WRITTEN_AT, 'k')).toEqual({ ignored: 'encrypted' })
  })

  it('an expired token is not encoded', async () => {
    expect(await encodeValue(token, token.expiresAt, 'k')).toBeUndefined()
  })

  it('refuses values no member writes: older format, forged hash, absurd lifetime, TTL past the lifetime, revoked', async () => {
    const key = createTokenCipher(EARLIER.key, 'createRedisStore')
    expect(await decodeValue(EARLIER.value, 1000, 0, EARLIER.context, key)).toEqual({
      ignored: 'older_version',
    })
    const { value, ttlMs } = (await encodeValue(token, WRITTEN_AT, 'k'))!
    const body = JSON.parse(value)
    const forged = (change: Record<string, unknown>) => JSON.stringify({ ...body, ...change })
    const hundredYears = { ...body.token, lifetimeMs: 100 * 365 * 86_400_000 }
    for (const [raw, pttl] of [
      [forged({ t: await sha256Hex('another token') }), ttlMs],
      [forged({ token: hundredYears }), ttlMs],
      [forged({ token: { ...body.token, lifetimeMs: MAX_LIFETIME_MS + 1 } }), ttlMs],
      [forged({ token: { ...body.token, refreshMs: LIFETIME + 1 } }), ttlMs],
      [value, LIFETIME + 1],
      [value, -1],
    ] as const)
      expect(await decodeValue(raw, pttl, 0, 'k')).toEqual({ ignored: 'corrupt' })
    expect(await decodeValue(value, -3, 0, 'k')).toEqual({ ignored: 'revoked' })
  })

  it('a key of few distinct bytes is weak; random bytes are not', () => {
    expect(isWeakKey(new Uint8Array(32))).toBe(true)
    expect(isWeakKey(new Uint8Array(32).fill(7))).toBe(true)
    expect(isWeakKey(btoa('abcd'.repeat(8)))).toBe(true)
    expect(isWeakKey(crypto.getRandomValues(new Uint8Array(32)))).toBe(false)
    expect(isWeakKey(EARLIER.key)).toBe(false)
    expect(isWeakKey(new Uint8Array(16))).toBe(false) // the wrong size is the cipher's to refuse
  })
})
