import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'
import { expect, it } from 'vitest'
import { createMemoryStore } from '../src/memory-store.ts'
import { createTokenProvider } from '../src/provider.ts'
import { storeKeyOf } from '../src/store-key.ts'
import { warmCredentials } from './warm-credentials.ts'

it('a member with the right key id and a wrong secret is never served the shared token: invalid_credentials', async () => {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const store = createMemoryStore()
  const right = await warmCredentials(m3ter)
  const wrong = Object.freeze({ accessKeyId: right.accessKeyId, apiSecret: `${right.apiSecret}-not` })
  await storeKeyOf(m3ter.tokenUrl, wrong)
  const options = { tokenUrl: m3ter.tokenUrl, scope: [m3ter.apiUrl], clock, store }
  const owner = createTokenProvider({ ...options, credentials: right })
  const intruder = createTokenProvider({ ...options, credentials: wrong })
  const token = await owner.getToken()
  expect(m3ter.stats.tokenRequests).toBe(1)
  const served: string[] = []
  const error = await intruder.getToken().then(
    (value) => served.push(value),
    (e: unknown) => e,
  )
  expect(served).toEqual([]) // before the key was bound to the secret: [token]
  expect(error).toMatchObject({ code: 'invalid_credentials' })
  expect(m3ter.stats.tokenRequests).toBe(2) // the endpoint was asked, and refused
  expect(await owner.getToken()).toBe(token)
  await Promise.all([owner.close(), intruder.close()])
  await m3ter.close()
})

it('a planted value the endpoint could never have given (expiresAt: 1e308, CR/LF) is not served', async () => {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const store = createMemoryStore()
  const credentials = await warmCredentials(m3ter)
  const key = await storeKeyOf(m3ter.tokenUrl, credentials)
  const now = clock.now()
  for (const planted of [
    { accessToken: 'planted', obtainedAt: now, refreshAt: now + 1, expiresAt: 1e308 },
    { accessToken: 'a\r\nb', obtainedAt: now, refreshAt: now + 60_000, expiresAt: now + 120_000 },
  ]) {
    const auth = createTokenProvider({
      tokenUrl: m3ter.tokenUrl,
      scope: [m3ter.apiUrl],
      clock,
      store,
      credentials,
    })
    await store.delete(key)
    await store.set(key, planted)
    expect(await auth.getToken()).not.toBe(planted.accessToken)
    await auth.close()
  }
  expect(m3ter.stats.tokenRequests).toBe(2)
  await m3ter.close()
})
