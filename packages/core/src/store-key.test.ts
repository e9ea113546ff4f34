import { describe, expect, it } from 'vitest'
import { validateCredentials } from './credentials.ts'
import { knownStoreKey, storeKeyOf } from './store-key.ts'

const URL = 'https://api.m3ter.com/oauth/token'

describe('storeKeyOf', () => {
  it('binds the key to the secret: same id, another secret, another key; nothing of either in clear', async () => {
    const right = await storeKeyOf(URL, { accessKeyId: 'key-1', apiSecret: 'secret-right' })
    const wrong = await storeKeyOf(URL, { accessKeyId: 'key-1', apiSecret: 'secret-wrong' })
    expect(right).toMatch(/^m3ter-auth:v2:[0-9a-f]{64}$/)
    expect(wrong).not.toBe(right)
    expect(await storeKeyOf(URL, { accessKeyId: 'key-1', apiSecret: 'secret-right' })).toBe(right)
    expect(right).not.toContain('key-1')
  })

  it('is known without an await for a frozen credentials object once derived for it', async () => {
    const credentials = Object.freeze({ accessKeyId: 'key-2', apiSecret: 'secret-2' })
    expect(knownStoreKey(URL, credentials)).toBeUndefined()
    const key = await storeKeyOf(URL, credentials)
    expect(knownStoreKey(URL, credentials)).toBe(key)
    expect(knownStoreKey(`${URL}/other`, credentials)).toBeUndefined()
  })

  it('remembers no object that could change: a mutable one, or a frozen one with a getter', async () => {
    const mutable = { accessKeyId: 'key-3', apiSecret: 'secret-3' }
    await storeKeyOf(URL, mutable)
    expect(knownStoreKey(URL, mutable)).toBeUndefined()
    let secret = 'secret-3'
    const changing = Object.freeze({
      accessKeyId: 'key-3',
      get apiSecret() {
        return secret
      },
    })
    const before = await storeKeyOf(URL, changing)
    expect(knownStoreKey(URL, changing)).toBeUndefined()
    secret = 'secret-4'
    expect(await storeKeyOf(URL, changing)).not.toBe(before)
  })

  it('validated credentials are frozen, and a frozen key is kept as given', () => {
    const copy = validateCredentials({ accessKeyId: 'a', apiSecret: 'b' }, 'credentials')
    expect(Object.isFrozen(copy)).toBe(true)
    const frozen = Object.freeze({ accessKeyId: 'a', apiSecret: 'b' })
    expect(validateCredentials(frozen, 'credentials')).toBe(frozen)
  })
})
