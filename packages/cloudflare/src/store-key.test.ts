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
    expect(new Set(keys)).toEqual(new Set([storeKeyFor(m3ter.tokenUrl, key?.accessKeyId ?? '')]))
  })

  it('serves both keys of a pair, and cannot know the keys of a credentials function', () => {
    const url = 'https://api.m3ter.com/oauth/token'
    const a = { accessKeyId: 'a', apiSecret: 's' }
    const b = { accessKeyId: 'b', apiSecret: 's' }
    expect(staticKeys(url, a)).toEqual([storeKeyFor(url, 'a')])
    expect(staticKeys(url, [a, b])).toEqual([storeKeyFor(url, 'a'), storeKeyFor(url, 'b')])
    expect(staticKeys(url, () => a)).toBeUndefined()
  })

  it('names the Durable Object by a digest: no URL or key id in it', async () => {
    const name = await objectNameFor(storeKeyFor('https://api.m3ter.com/oauth/token', 'key-id-1'))
    expect(name).toMatch(/^m3ter-auth:[0-9a-f]{64}$/)
    expect(await objectNameFor(storeKeyFor('https://api.m3ter.com/oauth/token', 'key-id-2'))).not.toBe(name)
  })
})
