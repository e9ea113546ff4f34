import { createTokenCipher } from '@m3ter-auth/core/internals'
import { describe, expect, it } from 'vitest'
import { decodeValue, encodeValue } from './codec.ts'

// Made once by the released code, kept to prove that values already in Redis stay readable.
const EARLIER = {
  key: 'AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM09o=',
  context: 'm3ter:token:ctx',
  value:
    '{"v":1,"sealed":"AGuP3VJuSgmIJxvt.iWs1a49HGWLdYt8/hwf0NTlTPIo4h8v8xUDET6mkzBhzlK9jgt4IDjveD7nan1ikkSa3s6sqF2XD7p0glPHVMK5k71EEcgTNJOWLc2KnnoiNJnN4OSaiH8Px5a92x/cl31nLbGSKvkI3aJKb+bVtarKLNjmzTuJUt7x3vfPGkXPxJA=="}',
}
const token = {
  accessToken: 'eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2ln',
  obtainedAt: 1000,
  expiresAt: 18001000,
  refreshAt: 14401000,
}

describe('stored values', () => {
  it('reads a sealed value written by an earlier release', async () => {
    const key = createTokenCipher(EARLIER.key, 'createRedisStore')
    expect(await decodeValue(EARLIER.value, EARLIER.context, key)).toEqual({ token })
    expect(await decodeValue(EARLIER.value, 'another:redis:key', key)).toEqual({ ignored: 'wrong_key' })
    expect(await decodeValue(EARLIER.value, EARLIER.context)).toEqual({ ignored: 'encrypted' })
  })

  it('seals a token so that only the same key and Redis key open it, and never writes it in clear', async () => {
    const key = createTokenCipher(EARLIER.key, 'createRedisStore')
    const value = await encodeValue(token, 'k', key)
    expect(value).not.toContain('eyJ')
    expect(JSON.parse(value)).toEqual({
      v: 1,
      sealed: expect.stringMatching(/^[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/),
    })
    expect(await decodeValue(value, 'k', key)).toEqual({ token })
    const other = createTokenCipher(new Uint8Array(32), 'createRedisStore')
    expect(await decodeValue(value, 'k', other)).toEqual({ ignored: 'wrong_key' })
  })
})
