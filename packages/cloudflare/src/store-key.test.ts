import { createMemoryStore, type TokenStore } from '@m3ter-auth/core'
import { createManualClock, createProviderFor, startMockM3ter } from '@m3ter-auth/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { objectNameFor, staticKeys, storeKeyFor } from './store-key.ts'

const m3ter = await startMockM3ter({ clock: createManualClock() })
afterAll(() => m3ter.close())

describe('storeKeyFor', () => {
  it("is the key core's provider files its token under (the broker refuses any other)", async () => {
    const keys: string[] = []
    const memory = createMemoryStore()
    const store: TokenStore = {
      get(key) {
        keys.push(key)
        return memory.get(key)
      },
      set(key, token) {
        keys.push(key)
        return memory.set(key, token)
      },
      delete: (key, token) => memory.delete(key, token),
    }
    const auth = createProviderFor(m3ter, { store })
    await auth.getToken()
    await auth.close()
    const [key] = m3ter.keys
    expect(new Set(keys)).toEqual(new Set([await storeKeyFor(m3ter.tokenUrl, key!)]))
  })

  it('serves both keys of a pair, and cannot know the keys of a credentials function', async () => {
    const url = 'https://api.m3ter.com/oauth/token'
    const a = { accessKeyId: 'a', apiSecret: 's' }
    const b = { accessKeyId: 'b', apiSecret: 's' }
    expect(await staticKeys(url, a)).toEqual([await storeKeyFor(url, a)])
    expect(await staticKeys(url, [a, b])).toEqual([await storeKeyFor(url, a), await storeKeyFor(url, b)])
    expect(await staticKeys(url, () => a)).toBeUndefined()
  })

  it('is bound to the secret: the key id alone, or another secret, names another key', async () => {
    const url = 'https://api.m3ter.com/oauth/token'
    const key = await storeKeyFor(url, { accessKeyId: 'a', apiSecret: 'the secret' })
    expect(key).toMatch(/^m3ter-auth:v2:[0-9a-f]{64}$/)
    expect(key).not.toContain('the secret')
    expect(await storeKeyFor(url, { accessKeyId: 'a', apiSecret: 'another' })).not.toBe(key)
  })

  it('names the Durable Object by a digest: no URL or key id in it', async () => {
    const url = 'https://api.m3ter.com/oauth/token'
    const name = await objectNameFor(await storeKeyFor(url, { accessKeyId: 'key-id-1', apiSecret: 's' }))
    expect(name).toMatch(/^m3ter-auth:[0-9a-f]{64}$/)
    const other = await objectNameFor(await storeKeyFor(url, { accessKeyId: 'key-id-2', apiSecret: 's' }))
    expect(other).not.toBe(name)
  })
})
