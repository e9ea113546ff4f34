import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'
import { expect, it } from 'vitest'
import { createMemoryStore } from '../src/memory-store.ts'
import { createTokenProvider } from '../src/provider.ts'
import type { TokenStore } from '../src/types.ts'

async function fleet(size: number, store: TokenStore) {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const key = m3ter.keys[0]!
  const members = Array.from({ length: size }, () =>
    createTokenProvider({ credentials: key, tokenUrl: m3ter.tokenUrl, scope: [m3ter.apiUrl], clock, store }),
  )
  const close = async () => {
    await Promise.all(members.map((m) => m.close()))
    await m3ter.close()
  }
  return { clock, m3ter, members, close }
}

/** Settles all, moving the clock in lease-poll steps (100 ms) so waiting members look in the store. */
async function all<T>(clock: ReturnType<typeof createManualClock>, promises: Promise<T>[]): Promise<T[]> {
  let done = false
  const settled = Promise.all(promises).finally(() => {
    done = true
  })
  for (let i = 0; i < 200 && !done; i++) await clock.advance(100)
  return settled
}

it('a fleet sharing a store with a lease fetches one token for all, cold', async () => {
  const { clock, m3ter, members, close } = await fleet(4, createMemoryStore())
  const tokens = await all(
    clock,
    members.map((m) => m.getToken()),
  )
  expect(new Set(tokens).size).toBe(1)
  expect(m3ter.stats.tokenRequests).toBe(1)
  await close()
})

it('a member that starts later takes the token from the store, not the endpoint', async () => {
  const { m3ter, members, close } = await fleet(2, createMemoryStore())
  const first = await members[0]!.getToken()
  expect(await members[1]!.getToken()).toBe(first)
  expect(m3ter.stats.tokenRequests).toBe(1)
  await close()
})

it('an invalidated token is not taken from the store again: compare-and-delete', async () => {
  const store = createMemoryStore()
  const { m3ter, members, close } = await fleet(2, store)
  const first = await members[0]!.getToken()
  expect(members[0]!.invalidate(first)).toBe(true)
  const second = await members[0]!.getToken()
  expect(second).not.toBe(first)
  expect(await members[1]!.getToken()).toBe(second)
  expect(m3ter.stats.tokenRequests).toBe(2)
  await close()
})

it('a store that fails is worked around: tokens still come from the endpoint', async () => {
  const broken: TokenStore = {
    get: async () => Promise.reject(new Error('store down')),
    set: async () => Promise.reject(new Error('store down')),
    delete: async () => Promise.reject(new Error('store down')),
    lease: async () => Promise.reject(new Error('store down')),
  }
  const { m3ter, members, close } = await fleet(1, broken)
  expect(await members[0]!.getToken()).toMatch(/\./)
  expect(m3ter.stats.tokenRequests).toBe(1)
  await close()
})

it('§4.11 close() ends a wait on another member’s lease, leaving no timer', async () => {
  const store = createMemoryStore()
  const held = await store.lease!('m3ter-auth:v1:any', 10_000)
  expect(held).toBeDefined()
  const { clock, m3ter, members, close } = await fleet(1, {
    ...store,
    lease: async () => undefined, // someone else always holds it
  })
  const waiting = members[0]!.getToken().catch((e: unknown) => e)
  await clock.advance(100)
  await members[0]!.close()
  expect(clock.pending()).toBe(0)
  expect(await waiting).toMatchObject({ code: 'aborted' })
  expect(m3ter.stats.tokenRequests).toBe(0)
  await close()
})
