import { isM3terAuthError } from '@m3ter-auth/core'
import { describe, expect, it } from 'vitest'
import { createTokenCipher } from './token-cipher.ts'

const secret = 'a Worker secret of some length'
const token = JSON.stringify({ accessToken: 'eyJ.payload.sig', obtainedAt: 1, expiresAt: 3, refreshAt: 2 })

describe('createTokenCipher (AES-GCM through Web Crypto)', () => {
  it('opens what it sealed, under the same key and context only', async () => {
    const cipher = createTokenCipher(secret)
    const sealed = await cipher.seal(token, 'key-1')
    expect(JSON.stringify(sealed)).not.toContain('payload')
    expect(await cipher.open(sealed, 'key-1')).toBe(token)
    expect(await cipher.open(sealed, 'key-2')).toBeUndefined()
    expect(await createTokenCipher(`${secret}!`).open(sealed, 'key-1')).toBeUndefined()
  })

  it('refuses a tampered value, and never seals twice the same way', async () => {
    const cipher = createTokenCipher(secret)
    const sealed = await cipher.seal(token, 'k')
    const flipped = sealed.data.startsWith('A') ? `B${sealed.data.slice(1)}` : `A${sealed.data.slice(1)}`
    expect(await cipher.open({ ...sealed, data: flipped }, 'k')).toBeUndefined()
    expect((await cipher.seal(token, 'k')).iv).not.toBe(sealed.iv)
  })

  it('refuses a short key with invalid_options, naming the option and not the value', () => {
    let error: unknown
    try {
      createTokenCipher('short-secret')
    } catch (e) {
      error = e
    }
    expect(isM3terAuthError(error) && error.code).toBe('invalid_options')
    expect(String((error as Error).message)).toContain('encryptionKey')
    expect(String((error as Error).message)).not.toContain('short-secret')
  })
})
