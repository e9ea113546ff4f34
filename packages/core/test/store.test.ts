import { createManualClock, createProviderFor, startMockM3ter } from '@m3ter-auth/testkit'
import { expect, it } from 'vitest'
import type { M3terAuthEvent } from '../src/events.ts'
import { createMemoryStore } from '../src/memory-store.ts'
import { createTokenProvider } from '../src/provider.ts'
import { storeKeyOf } from '../src/store-key.ts'
import type { TokenStore } from '../src/token-store.ts'
import { warmCredentials } from './warm-credentials.ts'

async function fleet(size: number, store: TokenStore) {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const key = await warmCredentials(m3ter)
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
  expect(await waiting).toMatchObject({ code: 'closed' })
  expect(m3ter.stats.tokenRequests).toBe(0)
  await close()
})

/** A memory store whose token writes land `delayMs` later on the clock (hashing, encrypting, a network). */
function slowWrites(clock: ReturnType<typeof createManualClock>, delayMs: number): TokenStore {
  const inner = createMemoryStore()
  return {
    ...inner,
    set: (key, token) =>
      new Promise<void>((resolve) => clock.setTimeout(() => resolve(inner.set(key, token)), delayMs)),
  }
}

it('§5a a revocation across a fleet whose store writes slowly costs one refresh in total', async () => {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const store = slowWrites(clock, 150)
  const credentials = await warmCredentials(m3ter)
  const members = Array.from({ length: 4 }, () => createProviderFor(m3ter, { credentials, clock, store }))
  const first = await all(
    clock,
    members.map((m) => m.getToken()),
  )
  expect(new Set(first).size).toBe(1)
  m3ter.revokeAll()
  for (const member of members) member.invalidate(first[0]!)
  // The first to refresh has its token (the clock has not moved: its write has not landed yet)...
  const refreshed = await members[0]!.getToken()
  // ...when the others look: they must find its lease still held, and wait for the write.
  const second = await all(
    clock,
    members.map((m) => m.getToken()),
  )
  expect(second[0]).toBe(refreshed)
  // The lease was held until the write landed: nobody saw a free lease and an empty store together.
  expect(new Set(second).size).toBe(1)
  expect(second[0]).not.toBe(first[0])
  expect(m3ter.stats.tokenRequests).toBe(2)
  await Promise.all(members.map((m) => m.close()))
  await m3ter.close()
})

it('§5a a member that wins the lease looks in the store again before fetching', async () => {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const inner = createMemoryStore()
  const other = createProviderFor(m3ter, { credentials: await warmCredentials(m3ter), clock, store: inner })
  let raced = false
  // Between this member's read (a miss) and its lease, another fetches, writes and releases.
  const racing: TokenStore = {
    ...inner,
    get: async (key) => {
      const found = await inner.get(key)
      if (!raced) {
        raced = true
        await other.getToken()
        // ...and has released its lease (after its write): take it and give it back to be sure.
        for (let free = await inner.lease!(key, 1); ; free = await inner.lease!(key, 1)) {
          if (free) {
            await free.release()
            break
          }
          await new Promise((resolve) => setImmediate(resolve))
        }
      }
      return found
    },
  }
  const member = createProviderFor(m3ter, { credentials: await warmCredentials(m3ter), clock, store: racing })
  expect(await member.getToken()).toBe(await other.getToken())
  expect(m3ter.stats.tokenRequests).toBe(1)
  await Promise.all([member.close(), other.close()])
  await m3ter.close()
})

it('§5a a store that never answers is skipped after its call budget; an event says so', async () => {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const events: M3terAuthEvent[] = []
  const frozen: TokenStore = {
    get: () => new Promise(() => {}),
    set: () => new Promise(() => {}),
    delete: () => new Promise(() => {}),
    lease: () => new Promise(() => {}),
    timeoutMs: 250,
  }
  const auth = createProviderFor(m3ter, {
    credentials: await warmCredentials(m3ter),
    clock,
    store: frozen,
    onEvent: (e) => events.push(e),
  })
  const token = auth.getToken()
  await clock.advance(250)
  expect(await token).toMatch(/\./)
  expect(m3ter.stats.tokenRequests).toBe(1)
  expect(events.filter((e) => e.type === 'store_failed')).toMatchObject([
    { operation: 'get', reason: 'timeout' },
  ])
  await auth.close()
  await m3ter.close()
})

it('§5a the wait for another holder counts the time its reads take, and ends within a lease lifetime', async () => {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const inner = createMemoryStore()
  const credentials = await warmCredentials(m3ter)
  await inner.lease!(await storeKeyOf(m3ter.tokenUrl, credentials), 1) // held for good
  const slowReads: TokenStore = {
    ...inner,
    get: (key) => new Promise((resolve) => clock.setTimeout(() => resolve(inner.get(key)), 200)),
  }
  const auth = createProviderFor(m3ter, { credentials, clock, store: slowReads, timeoutMs: 2_000 })
  const started = clock.now()
  const token = auth.getToken()
  let done = false
  token.finally(() => {
    done = true
  })
  while (!done) await clock.advance(100)
  expect(await token).toMatch(/\./)
  // Lease lifetime: the 2 s token request and a read and a write of 1 s each, then one poll.
  expect(clock.now() - started).toBeLessThanOrEqual(4_000 + 100 + 200)
  expect(m3ter.stats.tokenRequests).toBe(1)
  await auth.close()
  await m3ter.close()
})

it('§5a a lease call that fails is no reason to wait: the member fetches at once', async () => {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const events: M3terAuthEvent[] = []
  const refusing: TokenStore = {
    ...createMemoryStore(),
    lease: async () => Promise.reject(new Error('NOSCRIPT')),
  }
  const auth = createProviderFor(m3ter, {
    credentials: await warmCredentials(m3ter),
    clock,
    store: refusing,
    onEvent: (e) => events.push(e),
  })
  expect(await auth.getToken()).toMatch(/\./)
  expect(events.filter((e) => e.type === 'store_failed')).toMatchObject([
    { operation: 'lease', reason: 'error' },
  ])
  await auth.close()
  await m3ter.close()
})
