import { isM3terAuthError } from '@m3ter-auth/core'
import { describe, expect, it } from 'vitest'
import { createTokenCipher } from './token-cipher.ts'

const bytes = (fill: number) => new Uint8Array(32).fill(fill)
const base64 = (b: Uint8Array) => btoa(String.fromCharCode(...b))
const token = JSON.stringify({ accessToken: 'eyJ.payload.sig', obtainedAt: 1, expiresAt: 3, refreshAt: 2 })

// Made once by the released code (the broker's cipher and @m3ter-auth/redis's seal), kept to prove that
// stored values stay readable.
const EARLIER = {
  key: 'AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM09o=',
  plaintext:
    '{"accessToken":"eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2ln","obtainedAt":1000,"expiresAt":18001000,"refreshAt":14401000}',
  sealedByBroker:
    'cikgRQhMwjvjTfNk.3myyWQkuGDgHxtjDWHapiMD3x9/tIWvUJM+iE6j381zPcFs5zRodmRnlEzSijBXcjeDwCDLnDyeAhZRv6fNlvcqoDHZhHwRzoCSZtrHVtgAnCEtAKjf6tVBWTrRSDZ6QC7aX7Zu3q1giyTieUvU/nPyl8U1Q9qWdDJRIv7AiNr2mzg==',
  sealedByRedis:
    'Sf/ofXfhkI9PcYES.mUln0uGneIZOc/3pdKM6FHRPiXFaXxf0At6v+OYQX+J4nsYMyOlDCateEwR5kOtXxHYE1ryW+5iFqqvfSEmJGDVAyl56G1ozJPlOMtS01fsVuat7ULJkY+meXeRr+lb+b6ygaOSdLSn83xSjuWcjh+M1ngtYvuFhSmU4WKFEL1zqyQ==',
}

describe('createTokenCipher (AES-256-GCM through Web Crypto)', () => {
  it('opens what it sealed, under the same key and context only', async () => {
    const cipher = createTokenCipher(base64(bytes(7)))
    const sealed = await cipher.seal(token, 'key-1')
    expect(sealed).toMatch(/^[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/)
    expect(sealed).not.toContain('payload')
    expect(await cipher.open(sealed, 'key-1')).toBe(token)
    expect(await cipher.open(sealed, 'key-2')).toBeUndefined()
    expect(await createTokenCipher(bytes(8)).open(sealed, 'key-1')).toBeUndefined()
  })

  it('opens values sealed by earlier releases, of this package and of @m3ter-auth/redis (one format)', async () => {
    const cipher = createTokenCipher(EARLIER.key)
    expect(await cipher.open(EARLIER.sealedByBroker, 'cf-store-key')).toBe(EARLIER.plaintext)
    expect(await cipher.open(EARLIER.sealedByRedis, 'm3ter-auth:token:abc')).toBe(EARLIER.plaintext)
    expect(await cipher.open(EARLIER.sealedByBroker, 'm3ter-auth:token:abc')).toBeUndefined()
  })

  it('takes the key as base64, base64url, bytes or a CryptoKey, all the same key', async () => {
    const raw = bytes(250)
    const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
    const url = base64(raw).replace(/\+/g, '-').replace(/\//g, '_')
    const sealed = await createTokenCipher(raw).seal(token, 'k')
    for (const form of [base64(raw), url, key])
      expect(await createTokenCipher(form).open(sealed, 'k')).toBe(token)
  })

  it('refuses a tampered or malformed value, and never seals twice the same way', async () => {
    const cipher = createTokenCipher(bytes(1))
    const sealed = await cipher.seal(token, 'k')
    const [iv, data = ''] = sealed.split('.')
    const flipped = `${iv}.${data.startsWith('A') ? 'B' : 'A'}${data.slice(1)}`
    for (const bad of [flipped, data, `${sealed}.x`, 'not base64!.x'])
      expect(await cipher.open(bad, 'k')).toBeUndefined()
    expect(await cipher.seal(token, 'k')).not.toBe(sealed)
  })

  it('refuses a key that is not 32 bytes with invalid_options, never showing it', () => {
    for (const bad of [
      'a Worker secret that is not base64 of 32 bytes',
      base64(new Uint8Array(16)),
      bytes(1).subarray(1),
    ]) {
      let error: unknown
      try {
        createTokenCipher(bad)
      } catch (e) {
        error = e
      }
      expect(isM3terAuthError(error) && error.code).toBe('invalid_options')
      expect(String((error as Error).message)).toContain('encryptionKey must be 32 bytes')
      if (typeof bad === 'string') expect(String((error as Error).message)).not.toContain(bad)
    }
  })
})
