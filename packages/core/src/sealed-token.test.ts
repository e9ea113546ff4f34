import { describe, expect, it } from 'vitest'
import { base64ToBytes, bytesToBase64 } from './base64.ts'
import { isM3terAuthError } from './errors.ts'
import { createTokenCipher } from './sealed-token.ts'

const bytes = (fill: number) => new Uint8Array(32).fill(fill)
const token = JSON.stringify({ accessToken: 'eyJ.payload.sig', obtainedAt: 1, expiresAt: 3, refreshAt: 2 })
const cipherOf = (key: Parameters<typeof createTokenCipher>[0]) => createTokenCipher(key, 'createTestStore')

// Made once by the code @m3ter-auth/redis and @m3ter-auth/cloudflare shipped before they shared this
// module, kept to prove that the tokens they stored stay readable.
const EARLIER = {
  key: 'AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM09o=',
  plaintext:
    '{"accessToken":"eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2ln","obtainedAt":1000,"expiresAt":18001000,"refreshAt":14401000}',
  sealedByBroker:
    'cikgRQhMwjvjTfNk.3myyWQkuGDgHxtjDWHapiMD3x9/tIWvUJM+iE6j381zPcFs5zRodmRnlEzSijBXcjeDwCDLnDyeAhZRv6fNlvcqoDHZhHwRzoCSZtrHVtgAnCEtAKjf6tVBWTrRSDZ6QC7aX7Zu3q1giyTieUvU/nPyl8U1Q9qWdDJRIv7AiNr2mzg==',
  sealedByRedis:
    'Sf/ofXfhkI9PcYES.mUln0uGneIZOc/3pdKM6FHRPiXFaXxf0At6v+OYQX+J4nsYMyOlDCateEwR5kOtXxHYE1ryW+5iFqqvfSEmJGDVAyl56G1ozJPlOMtS01fsVuat7ULJkY+meXeRr+lb+b6ygaOSdLSn83xSjuWcjh+M1ngtYvuFhSmU4WKFEL1zqyQ==',
}

describe('sealed tokens (AES-256-GCM through Web Crypto)', () => {
  it('opens values sealed by the earlier Redis store and Cloudflare broker, under their context only', async () => {
    const cipher = cipherOf(EARLIER.key)
    expect(await cipher.open(EARLIER.sealedByBroker, 'cf-store-key')).toBe(EARLIER.plaintext)
    expect(await cipher.open(EARLIER.sealedByRedis, 'm3ter-auth:token:abc')).toBe(EARLIER.plaintext)
    expect(await cipher.open(EARLIER.sealedByRedis, 'cf-store-key')).toBeUndefined()
  })

  it('opens what it sealed, under the same key and context only', async () => {
    const cipher = cipherOf(bytesToBase64(bytes(7)))
    const sealed = await cipher.seal(token, 'key-1')
    expect(sealed).toMatch(/^[A-Za-z0-9+/]{16}\.[A-Za-z0-9+/=]+$/)
    expect(sealed).not.toContain('payload')
    expect(await cipher.open(sealed, 'key-1')).toBe(token)
    expect(await cipher.open(sealed, 'key-2')).toBeUndefined()
    expect(await cipherOf(bytes(8)).open(sealed, 'key-1')).toBeUndefined()
  })

  it('takes the key as base64, base64url, bytes or a CryptoKey, all the same key', async () => {
    const raw = bytes(250)
    const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
    const url = bytesToBase64(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    const sealed = await cipherOf(raw).seal(token, 'k')
    for (const form of [bytesToBase64(raw), url, key])
      expect(await cipherOf(form).open(sealed, 'k')).toBe(token)
  })

  it('keeps its own copy of the key bytes: zeroing the caller array later changes nothing', async () => {
    const raw = bytes(3)
    const cipher = cipherOf(raw)
    const sealed = await cipher.seal(token, 'k')
    raw.fill(0)
    expect(await cipher.open(sealed, 'k')).toBe(token)
    expect(await cipherOf(bytes(3)).open(sealed, 'k')).toBe(token)
  })

  it('refuses a tampered or malformed value, and never seals twice the same way', async () => {
    const cipher = cipherOf(bytes(1))
    const sealed = await cipher.seal(token, 'k')
    const [iv = '', data = ''] = sealed.split('.')
    const flipped = `${iv}.${data.startsWith('A') ? 'B' : 'A'}${data.slice(1)}`
    const shortIv = `${bytesToBase64(new Uint8Array(8))}.${data}`
    for (const bad of [flipped, data, `${sealed}.x`, 'not base64!.x', shortIv, '', '.'])
      expect(await cipher.open(bad, 'k')).toBeUndefined()
    expect(await cipher.seal(token, 'k')).not.toBe(sealed)
  })

  it('refuses a key that is not 32 bytes with invalid_options, naming its owner, never showing the key', () => {
    for (const bad of [
      'a secret that is not base64 of 32 bytes',
      bytesToBase64(new Uint8Array(16)),
      bytes(1).subarray(1),
      42 as never,
    ]) {
      let error: unknown
      try {
        cipherOf(bad)
      } catch (e) {
        error = e
      }
      expect(isM3terAuthError(error) && error.code).toBe('invalid_options')
      expect((error as Error).message).toBe(
        'createTestStore: encryptionKey must be 32 bytes (a Uint8Array, base64 of 32 bytes, or an AES-GCM CryptoKey)',
      )
    }
  })
})

describe('base64 of bytes', () => {
  it('round-trips every byte value, and reads base64url with or without padding', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    expect(bytesToBase64(all)).toBe(Buffer.from(all).toString('base64'))
    expect(base64ToBytes(bytesToBase64(all))).toEqual(all)
    expect(base64ToBytes(Buffer.from(all).toString('base64url'))).toEqual(all)
    expect(base64ToBytes('-_8')).toEqual(new Uint8Array([0xfb, 0xff]))
  })

  it('gives undefined for text that is not base64', () => {
    for (const bad of ['not base64!', 'abc===', 'a', undefined]) expect(base64ToBytes(bad)).toBeUndefined()
  })
})
