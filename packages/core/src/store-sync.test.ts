import { createManualClock, type ManualClock } from '@m3ter-auth/testkit'
import { describe, expect, it } from 'vitest'
import type { M3terAuthEvent } from './events.ts'
import { createMemoryStore } from './memory-store.ts'
import {
  type Acquired,
  createStoreSync,
  DEFAULT_STORE_CALL_MS,
  LEASE_POLL_MS,
  leaseTtl,
  type StoreSync,
  usable,
} from './store-sync.ts'
import type { StoredToken, TokenStore } from './token-store.ts'

const KEY = 'm3ter-auth:v1:https://api.m3ter.com/oauth/token:key'
const TIMEOUT_MS = 10_000
const LEASE_MS = leaseTtl(TIMEOUT_MS, DEFAULT_STORE_CALL_MS)

function token(now: number, name = 'a.b.c'): StoredToken {
  return { accessToken: name, obtainedAt: now, refreshAt: now + 60_000, expiresAt: now + 120_000 }
}

/** A store whose every call is counted and can be replaced per method by a test. */
function counted(inner: TokenStore = createMemoryStore()) {
  const calls: string[] = []
  const count = <T>(call: string, result: T): T => {
    calls.push(call)
    return result
  }
  const store: TokenStore = {
    get: (key) => count('get', inner.get(key)),
    set: (key, value) => count('set', inner.set(key, value)),
    delete: (key, value) => count('delete', inner.delete(key, value)),
    lease: (key, ttl) => count(`lease ${ttl}`, inner.lease!(key, ttl)),
  }
  return { store, calls, inner }
}

function setup(store: TokenStore, clock: ManualClock = createManualClock()) {
  const events: Omit<M3terAuthEvent, 'at'>[] = []
  const sync = createStoreSync({ store, clock, timeoutMs: TIMEOUT_MS, emit: (e) => events.push(e) })
  const controller = new AbortController()
  const acquire = (...rejected: string[]): Promise<Acquired> =>
    sync.acquire(KEY, { signal: controller.signal, rejected, startedAt: clock.now() })
  return { sync, clock, events, controller, acquire }
}

/** Lets promise chains run without moving the clock. */
const turn = () => new Promise((resolve) => setImmediate(resolve))

/** Settles `promise` while moving the clock in lease-poll steps; fails if it takes longer than `maxMs`. */
async function drive<T>(clock: ManualClock, promise: Promise<T>, maxMs = 60_000): Promise<T> {
  let done = false
  const result = promise.finally(() => {
    done = true
  })
  for (let waited = 0; !done && waited <= maxMs; waited += LEASE_POLL_MS) await clock.advance(LEASE_POLL_MS)
  // Fail here, by steps: a loop spinning on resolved promises would starve vitest's own timeout.
  if (!done) throw new Error(`did not settle within ${maxMs} ms of clock`)
  return result
}

describe('usable', () => {
  it('takes a token before its refresh point, not one past it, nor one this provider saw rejected', () => {
    const t = token(0)
    expect(usable(t, 0, [])).toBe(t)
    expect(usable(t, t.refreshAt, [])).toBeUndefined()
    expect(usable(t, 0, [t.accessToken])).toBeUndefined()
    expect(usable(t, 0, [t.accessToken, 'a later one'])).toBeUndefined()
    expect(usable(undefined, 0, [])).toBeUndefined()
  })
})

describe('createStoreSync: acquire', () => {
  it('a usable token in the store is taken without asking for the lease', async () => {
    const { store, calls, inner } = counted()
    const { acquire, clock } = setup(store)
    await inner.set(KEY, token(clock.now()))
    expect(await acquire()).toEqual({ token: token(clock.now()) })
    expect(calls).toEqual(['get'])
  })

  it('a miss takes the lease (for the holder’s whole attempt), looks once more, and fetches holding it', async () => {
    const { store, calls } = counted()
    const { acquire } = setup(store)
    const found = await acquire()
    expect(found).toMatchObject({ lease: expect.anything() })
    expect(calls).toEqual(['get', `lease ${LEASE_MS}`, 'get'])
  })

  it('a token written between our read and our lease is found by the second look: the lease goes back', async () => {
    const { store, calls, inner } = counted()
    const clock = createManualClock()
    // Another member writes and releases just before our lease is granted.
    const racing: TokenStore = {
      ...store,
      lease: async (key, ttl) => {
        await inner.set(key, token(clock.now(), 'theirs'))
        return store.lease!(key, ttl)
      },
    }
    const { acquire } = setup(racing, clock)
    expect(await acquire()).toEqual({ token: token(clock.now(), 'theirs') })
    // The lease we got was released: the next member can take it.
    expect(await inner.lease!(KEY, 1)).toBeDefined()
    expect(calls.filter((c) => c === 'get')).toHaveLength(2)
  })

  it('a token this provider saw rejected is not taken: it fetches (under the lease) instead', async () => {
    const { store, inner } = counted()
    const { acquire, clock } = setup(store)
    await inner.set(KEY, token(clock.now(), 'revoked'))
    expect(await acquire('revoked')).toMatchObject({ lease: expect.anything() })
  })

  it('another holder: polls every 100 ms of the clock and takes its token once stored', async () => {
    const { store, calls, inner } = counted()
    const { acquire, clock, events } = setup(store)
    const theirs = await inner.lease!(KEY, LEASE_MS)
    const waiting = acquire()
    await clock.advance(LEASE_POLL_MS * 3)
    await inner.set(KEY, token(clock.now()))
    await theirs!.release()
    expect(await drive(clock, waiting)).toEqual({ token: token(clock.now() - LEASE_POLL_MS) })
    // At 0 ms a read, then a refused lease; at 100, 200, 300 and 400 ms a lease try sent with a read (one
    // round trip a poll); at 400 ms the read finds it, and the lease that went with it is given back.
    expect(calls).toEqual([
      'get',
      `lease ${LEASE_MS}`,
      ...Array(4)
        .fill([`lease ${LEASE_MS}`, 'get'])
        .flat(),
    ])
    expect(events).toEqual([])
    await turn()
    expect(await inner.lease!(KEY, 1)).toBeDefined()
  })

  it('a holder that dies: once its lease is gone, a waiter takes the lease and fetches', async () => {
    const { store, inner } = counted()
    const { acquire, clock } = setup(store)
    const theirs = await inner.lease!(KEY, LEASE_MS)
    const waiting = acquire()
    await clock.advance(LEASE_POLL_MS * 5)
    await theirs!.release() // as a store's TTL would, for a holder that never comes back
    expect(await drive(clock, waiting)).toMatchObject({ lease: expect.anything() })
  })

  it('a lease that stays held past a lease lifetime: the waiter fetches for itself, and says so', async () => {
    const { store, calls, inner } = counted()
    const { acquire, clock, events } = setup(store)
    await inner.lease!(KEY, LEASE_MS)
    const started = clock.now()
    const found = await drive(clock, acquire(), LEASE_MS * 2)
    expect(found).toStrictEqual({ lease: undefined })
    expect(clock.now() - started).toBeGreaterThanOrEqual(LEASE_MS)
    expect(clock.now() - started).toBeLessThanOrEqual(LEASE_MS + 2 * LEASE_POLL_MS)
    expect(events).toEqual([{ type: 'store_failed', operation: 'wait', reason: 'timeout' }])
    expect(calls.filter((c) => c === 'get').length).toBeLessThanOrEqual(LEASE_MS / LEASE_POLL_MS + 2)
  })

  it('a clock that never moves while its pauses return at once: the wait still ends after its polls', async () => {
    const { store, calls, inner } = counted()
    await inner.lease!(KEY, LEASE_MS)
    // Past this many reads the store fails the read, so a missing bound ends the test with the wrong
    // event instead of spinning on resolved promises, where vitest's timeout cannot fire.
    const guarded: TokenStore = {
      ...store,
      get: (key) => (calls.length > 10_000 ? Promise.reject(new Error('spinning')) : store.get(key)),
    }
    // Frozen at a real date, not at 0: the bound is counted from the clock's reading, not from its origin.
    const FROZEN_AT = Date.UTC(2026, 11, 7)
    const frozen = {
      now: () => FROZEN_AT,
      monotonic: () => FROZEN_AT,
      // The lease poll's pause comes back at once; the store call budgets never run out.
      setTimeout: (callback: () => void, ms: number) => ms === LEASE_POLL_MS && queueMicrotask(callback),
      clearTimeout: () => {},
    }
    const events: Omit<M3terAuthEvent, 'at'>[] = []
    const sync = createStoreSync({
      store: guarded,
      clock: frozen,
      timeoutMs: TIMEOUT_MS,
      emit: (e) => events.push(e),
    })
    const found = await sync.acquire(KEY, {
      signal: new AbortController().signal,
      rejected: [],
      startedAt: FROZEN_AT,
    })
    expect(found).toStrictEqual({ lease: undefined })
    expect(events).toEqual([{ type: 'store_failed', operation: 'wait', reason: 'timeout' }])
    expect(calls.filter((c) => c === 'get').length).toBeLessThanOrEqual(LEASE_MS / LEASE_POLL_MS + 4)
  })

  it('a lease call that fails is not "another holds it": fetch at once, without waiting, and say so', async () => {
    const { store } = counted()
    const { acquire, clock, events } = setup({
      ...store,
      lease: async () => Promise.reject(new Error('READONLY')),
    })
    expect(await acquire()).toStrictEqual({ lease: undefined })
    expect(clock.pending()).toBe(0)
    expect(events).toEqual([{ type: 'store_failed', operation: 'lease', reason: 'error' }])
  })

  it('a read that fails: fetch at once without trying the lease', async () => {
    const { store, calls } = counted()
    const { acquire, events } = setup({ ...store, get: async () => Promise.reject(new Error('down')) })
    expect(await acquire()).toStrictEqual({ lease: undefined })
    expect(calls).toEqual([])
    expect(events).toEqual([{ type: 'store_failed', operation: 'get', reason: 'error' }])
  })

  it('a store that throws synchronously is a failed store too', async () => {
    const { acquire, events } = setup({
      get: () => {
        throw new Error('not connected')
      },
      set: async () => {},
      delete: async () => {},
    })
    expect(await acquire()).toStrictEqual({ lease: undefined })
    expect(events).toEqual([{ type: 'store_failed', operation: 'get', reason: 'error' }])
  })

  it('a frozen store is skipped after one call budget (1 s by default, or the store’s own)', async () => {
    const frozen: TokenStore = {
      get: () => new Promise(() => {}),
      set: () => new Promise(() => {}),
      delete: () => new Promise(() => {}),
      lease: () => new Promise(() => {}),
    }
    const { acquire, clock, events } = setup(frozen)
    const found = acquire()
    await clock.advance(DEFAULT_STORE_CALL_MS - 1)
    expect(await Promise.race([found, turn().then(() => 'pending')])).toBe('pending')
    await clock.advance(1)
    expect(await found).toStrictEqual({ lease: undefined })
    expect(events).toEqual([{ type: 'store_failed', operation: 'get', reason: 'timeout' }])
    expect(clock.pending()).toBe(0)

    const quick = setup({ ...frozen, timeoutMs: 50 })
    const skipped = quick.acquire()
    await quick.clock.advance(50)
    expect(await skipped).toStrictEqual({ lease: undefined })
  })

  it('the calls on the way to our own token request share ONE budget: a slow store is no worse than a dead one', async () => {
    const { store, inner } = counted()
    const clock = createManualClock()
    const later = <T>(work: () => Promise<T>) =>
      new Promise<T>((resolve) => clock.setTimeout(() => resolve(work()), 400))
    // Every call takes 400 ms, under the 500 ms budget: before, read, lease and read again took 1.2 s.
    const slow: TokenStore = {
      ...store,
      timeoutMs: 500,
      get: (key) => later(() => inner.get(key)),
      lease: (key, ttl) => later(() => inner.lease!(key, ttl)),
    }
    const { acquire, events } = setup(slow, clock)
    const started = clock.now()
    let settledAt = 0
    const found = acquire().finally(() => {
      settledAt = clock.now()
    })
    await drive(clock, found)
    expect(await found).toStrictEqual({ lease: undefined })
    expect(settledAt - started).toBe(500)
    expect(events).toEqual([{ type: 'store_failed', operation: 'lease', reason: 'timeout' }])
  })

  it('a store that declares a long wait is honoured: a broker whose get answers after 9 s', async () => {
    const clock = createManualClock()
    const inner = createMemoryStore()
    await inner.set(KEY, token(clock.now() + 9_000))
    const broker: TokenStore = {
      ...inner,
      timeoutMs: 12_000,
      get: (key) => new Promise((resolve) => clock.setTimeout(() => resolve(inner.get(key)), 9_000)),
    }
    const { acquire, events } = setup(broker, clock)
    const found = await drive(clock, acquire())
    expect(found).toMatchObject({ token: { accessToken: 'a.b.c' } })
    expect(events).toEqual([])
  })

  it('a frozen lease call is skipped too, and a lease granted after that is given back at once', async () => {
    const { store, inner } = counted()
    let grant: () => void = () => {}
    const slow: TokenStore = {
      ...store,
      lease: (key, ttl) => new Promise((resolve) => (grant = () => resolve(inner.lease!(key, ttl)))),
    }
    const { acquire, clock, events } = setup(slow)
    const found = acquire()
    await turn()
    await clock.advance(DEFAULT_STORE_CALL_MS)
    expect(await found).toStrictEqual({ lease: undefined })
    expect(events).toEqual([{ type: 'store_failed', operation: 'lease', reason: 'timeout' }])
    grant()
    await turn()
    expect(await inner.lease!(KEY, 1)).toBeDefined()
  })

  it('an abort ends the wait at once and leaves no timer behind', async () => {
    const { store, inner } = counted()
    const { acquire, clock, controller, events } = setup(store)
    await inner.lease!(KEY, LEASE_MS)
    const waiting = acquire()
    await clock.advance(LEASE_POLL_MS * 2)
    controller.abort()
    expect(await waiting).toStrictEqual({ lease: undefined })
    expect(clock.pending()).toBe(0)
    expect(events).toEqual([])
  })
})

describe('createStoreSync: writes and release', () => {
  /** A store whose writes wait until the test lets them through. */
  function gated() {
    const { store, calls, inner } = counted()
    const gates: Array<() => void> = []
    const slow: TokenStore = {
      ...store,
      set: (key, value) =>
        new Promise<void>((resolve) => gates.push(() => resolve(store.set(key, value)))).then(() => {}),
    }
    return {
      store: slow,
      calls,
      inner,
      open: () => {
        for (const gate of gates.splice(0)) gate()
      },
    }
  }

  async function holding(sync: StoreSync, clock: ManualClock) {
    const found = await sync.acquire(KEY, {
      signal: new AbortController().signal,
      rejected: [],
      startedAt: clock.now(),
    })
    if (!('lease' in found) || !found.lease) throw new Error('expected to hold the lease')
    return found.lease
  }

  it('the lease is released only after the token write has reached the store', async () => {
    const { store, inner, open } = gated()
    const clock = createManualClock()
    const { sync } = setup(store, clock)
    const lease = await holding(sync, clock)
    sync.write(KEY, token(clock.now()))
    const released = sync.release(lease)
    await turn()
    // Still held while the write is on its way: a member looking now waits instead of fetching.
    expect(await inner.lease!(KEY, 1)).toBeUndefined()
    open()
    await released
    expect(await inner.get(KEY)).toEqual(token(clock.now()))
    expect(await inner.lease!(KEY, 1)).toBeDefined()
  })

  it('a write that never settles holds the release back by one call budget only', async () => {
    const { store, inner } = gated()
    const clock = createManualClock()
    const { sync, events } = setup(store, clock)
    const lease = await holding(sync, clock)
    sync.write(KEY, token(clock.now()))
    const released = sync.release(lease)
    await clock.advance(DEFAULT_STORE_CALL_MS)
    await released
    expect(await inner.lease!(KEY, 1)).toBeDefined()
    expect(events).toEqual([{ type: 'store_failed', operation: 'set', reason: 'timeout' }])
  })

  it('remove is compare-and-delete, and budgeted: a newer token stays', async () => {
    const { store, inner } = counted()
    const clock = createManualClock()
    const { sync } = setup(store, clock)
    await inner.set(KEY, token(clock.now(), 'newer'))
    sync.remove(KEY, 'older')
    await sync.release({ release: async () => {} })
    expect(await inner.get(KEY)).toEqual(token(clock.now(), 'newer'))
    sync.remove(KEY, 'newer')
    await sync.release({ release: async () => {} })
    expect(await inner.get(KEY)).toBeUndefined()
  })

  it('a release that fails or hangs is reported, never thrown', async () => {
    const clock = createManualClock()
    const { sync, events } = setup(createMemoryStore(), clock)
    await sync.release({ release: async () => Promise.reject(new Error('down')) })
    const hanging = sync.release({ release: () => new Promise(() => {}) })
    await clock.advance(DEFAULT_STORE_CALL_MS)
    await hanging
    expect(events).toEqual([
      { type: 'store_failed', operation: 'release', reason: 'error' },
      { type: 'store_failed', operation: 'release', reason: 'timeout' },
    ])
  })
})
