// @ts-nocheck
import { createManualClock } from '@m3ter-auth/testkit'
import { describe, expect, it } from 'vitest'
import { createMemoryStore } from './memory-store.ts'
import { createStoreSync, DEFAULT_STORE_CALL_MS, LEASE_POLL_MS, leaseTtl, usable } from './store-sync.ts'
import type { TokenStore } from './token-store.ts'

// The edges of store sync that a one-character change to store-sync.ts would move without the file's own
// tests noticing (found by mutation testing, issue 28).

describe('a stored token is usable', () => {
  it('until the millisecond before its refreshAt, and never at or past its expiresAt', () => {
    const t = { accessToken: 'a.b', obtainedAt: 0, refreshAt: 1_000, expiresAt: 2_000 }
    expect(usable(t, 999, [])).toBe(t)
    expect(usable(t, 999, ['other'])).toBe(t)
    // A value whose refreshAt lies past its expiresAt (as written, unchecked) is not served once expired.
    const odd = { ...t, refreshAt: 3_000 }
    expect(usable(odd, 1_999, [])).toBe(odd)
    expect(usable(odd, 2_000, [])).toBeUndefined()
  })
})

describe('the lease', () => {
  it("lasts the token request's timeout plus a store call before and after it", () => {
    expect(leaseTtl(10_000, 1_000)).toBe(12_000)
    expect(leaseTtl(10_000, 300)).toBe(10_600)
  })

  it("is sized by the store's own call budget, or the default when it gives none that is positive", async () => {
    const ttls: number[] = []
    const sized = (timeoutMs: number | undefined): TokenStore => {
      const inner = createMemoryStore()
      return {
        timeoutMs,
        get: (key) => inner.get(key),
        set: (key, value) => inner.set(key, value),
        delete: (key, value) => inner.delete(key, value),
        lease: (key, ttl) => {
          ttls.push(ttl)
          return inner.lease!(key, ttl)
        },
      }
    }
    // '300': a number read from an environment variable and passed on untyped is not a budget either.
    for (const timeoutMs of [undefined, 0, -5, '300', 300]) {
      const clock = createManualClock()
      const sync = createStoreSync({ store: sized(timeoutMs), clock, timeoutMs: 10_000, emit: () => {} })
      const signal = new AbortController().signal
      const got = await sync.acquire('k', { signal, rejected: [], startedAt: clock.now() })
      expect(got).toHaveProperty('lease')
    }
    const byDefault = leaseTtl(10_000, DEFAULT_STORE_CALL_MS)
    expect(ttls).toEqual([byDefault, byDefault, byDefault, byDefault, leaseTtl(10_000, 300)])
  })
})

describe('a store call', () => {
  const hanging = (): TokenStore => ({
    get: () => new Promise(() => {}),
    set: async () => {},
    delete: async () => {},
  })

  it('ends at once, with no store_failed event, when the attempt is abandoned during it or before it', async () => {
    const clock = createManualClock()
    const events: unknown[] = []
    const sync = createStoreSync({ store: hanging(), clock, timeoutMs: 10_000, emit: (e) => events.push(e) })
    const during = new AbortController()
    const pending = sync.acquire('k', { signal: during.signal, rejected: [], startedAt: clock.now() })
    during.abort()
    expect(await pending).toStrictEqual({ lease: undefined })
    const before = new AbortController()
    before.abort()
    const got = await sync.acquire('k', {
      signal: before.signal,
      rejected: [],
      startedAt: clock.now(),
    })
    expect(got).toStrictEqual({ lease: undefined })
    expect(events).toEqual([])
  })

  it('times out at its budget with a store_failed event', async () => {
    const clock = createManualClock()
    const events: unknown[] = []
    const sync = createStoreSync({ store: hanging(), clock, timeoutMs: 10_000, emit: (e) => events.push(e) })
    const signal = new AbortController().signal
    const pending = sync.acquire('k', { signal, rejected: [], startedAt: clock.now() })
    await clock.advance(DEFAULT_STORE_CALL_MS)
    expect(await pending).toStrictEqual({ lease: undefined })
    expect(events).toEqual([{ type: 'store_failed', operation: 'get', reason: 'timeout' }])
  })
})

/**
 * The manual clock, plus time that passes while the store answers (a busy process, a paused VM): the
 * readings move on, but no timer gets to fire before the answer is handled.
 */
function busyClock() {
  const manual = createManualClock()
  let busy = 0
  const clock = {
    now: () => manual.now() + busy,
    monotonic: () => manual.monotonic() + busy,
    setTimeout: (callback: () => void, ms: number) => manual.setTimeout(callback, ms),
    clearTimeout: (handle: unknown) => manual.clearTimeout(handle),
  }
  const pass = (ms: number) => {
    busy += ms
  }
  return { clock, manual, pass }
}

/** What `promise` settled with after a few turns of the event loop, or 'pending'. */
async function soon<T>(promise: Promise<T>): Promise<T | 'pending'> {
  let turns = 0
  const later = new Promise<'pending'>((resolve) => {
    const next = () => (++turns > 10 ? resolve('pending') : setImmediate(next))
    setImmediate(next)
  })
  return Promise.race([promise, later])
}

function recorded(store: TokenStore, clock = createManualClock()) {
  const events: unknown[] = []
  const sync = createStoreSync({ store, clock, timeoutMs: 10_000, emit: (e) => events.push(e) })
  const controller = new AbortController()
  const acquire = () => sync.acquire('k', { signal: controller.signal, rejected: [], startedAt: clock.now() })
  return { sync, events, acquire, controller }
}

const fresh = (now: number, accessToken = 'theirs') => ({
  accessToken,
  obtainedAt: now,
  refreshAt: now + 60_000,
  expiresAt: now + 120_000,
})

describe('the store phase budget', () => {
  it('a lease granted just as the call budget runs out: fetch at once holding it, without a second read', async () => {
    const { clock, pass } = busyClock()
    const inner = createMemoryStore()
    let reads = 0
    const store: TokenStore = {
      ...inner,
      get: (key) => {
        reads++
        return inner.get(key)
      },
      lease: async (key, ttl) => {
        pass(DEFAULT_STORE_CALL_MS)
        return inner.lease!(key, ttl)
      },
    }
    const { acquire, events } = recorded(store, clock)
    expect(await soon(acquire())).toMatchObject({ lease: expect.anything() })
    expect(reads).toBe(1)
    expect(events).toEqual([])
  })

  it('a read that uses up the whole call budget leaves no time to ask for the lease: fetch without it, and say so', async () => {
    const { clock, pass } = busyClock()
    const inner = createMemoryStore()
    let leases = 0
    const store: TokenStore = {
      ...inner,
      get: async (key) => {
        pass(DEFAULT_STORE_CALL_MS)
        return inner.get(key)
      },
      lease: (key, ttl) => {
        leases++
        return inner.lease!(key, ttl)
      },
    }
    const { acquire, events } = recorded(store, clock)
    expect(await soon(acquire())).toStrictEqual({ lease: undefined })
    expect(leases).toBe(0)
    expect(events).toEqual([{ type: 'store_failed', operation: 'lease', reason: 'timeout' }])
  })

  it('a second read that fails after the lease is won: fetch holding the lease, and say so', async () => {
    const inner = createMemoryStore()
    let reads = 0
    const store: TokenStore = {
      ...inner,
      get: (key) => (++reads > 1 ? Promise.reject(new Error('down')) : inner.get(key)),
    }
    const { acquire, events } = recorded(store)
    expect(await acquire()).toMatchObject({ lease: expect.anything() })
    expect(reads).toBe(2)
    expect(events).toEqual([{ type: 'store_failed', operation: 'get', reason: 'error' }])
  })

  it('a clock without a monotonic reading times the store calls on now()', async () => {
    const manual = createManualClock()
    const wallOnly = {
      now: () => manual.now(),
      setTimeout: (callback: () => void, ms: number) => manual.setTimeout(callback, ms),
      clearTimeout: (handle: unknown) => manual.clearTimeout(handle),
    }
    const { acquire, events } = recorded(
      { ...createMemoryStore(), get: () => new Promise(() => {}) },
      wallOnly,
    )
    const found = acquire()
    await manual.advance(DEFAULT_STORE_CALL_MS)
    expect(await found).toStrictEqual({ lease: undefined })
    expect(events).toEqual([{ type: 'store_failed', operation: 'get', reason: 'timeout' }])
  })

  it('a call that times out and fails afterwards is reported once, as the timeout', async () => {
    let fail: (error: Error) => void = () => {}
    const store: TokenStore = {
      ...createMemoryStore(),
      get: () => new Promise((_, reject) => (fail = reject)),
    }
    const clock = createManualClock()
    const { acquire, events } = recorded(store, clock)
    const found = acquire()
    await clock.advance(DEFAULT_STORE_CALL_MS)
    expect(await found).toStrictEqual({ lease: undefined })
    fail(new Error('connection reset'))
    await soon(new Promise(() => {}))
    expect(events).toEqual([{ type: 'store_failed', operation: 'get', reason: 'timeout' }])
  })

  it('a call whose deadline passed before it started (the process was paused) is not made, and is reported as a timeout, never thrown', async () => {
    const { clock, pass } = busyClock()
    const inner = createMemoryStore()
    const lease = await inner.lease!('k', 1)
    let released = 0
    const { sync, events } = recorded(inner, {
      ...clock,
      // Each reading a whole call budget after the one before.
      monotonic: () => {
        pass(DEFAULT_STORE_CALL_MS)
        return clock.monotonic()
      },
    })
    const counting = {
      release: () => {
        released++
        return lease!.release()
      },
    }
    await expect(sync.release(counting)).resolves.toBeUndefined()
    expect(released).toBe(0)
    expect(events).toEqual([{ type: 'store_failed', operation: 'release', reason: 'timeout' }])
  })
})

describe('writes', () => {
  it('a remove that fails is reported as a failed delete', async () => {
    const store: TokenStore = { ...createMemoryStore(), delete: () => Promise.reject(new Error('down')) }
    const { sync, events } = recorded(store)
    sync.remove('k', 'a.b')
    await sync.release({ release: async () => {} })
    expect(events).toEqual([{ type: 'store_failed', operation: 'delete', reason: 'error' }])
  })
})

describe("the attempt's abort signal", () => {
  /** The abort listeners still registered on `signal`. */
  function listening(signal: AbortSignal): Set<unknown> {
    const live = new Set<unknown>()
    const add = signal.addEventListener.bind(signal)
    const remove = signal.removeEventListener.bind(signal)
    signal.addEventListener = (type: string, listener: unknown, options?: unknown) => {
      if (type === 'abort') live.add(listener)
      add(type, listener, options)
    }
    signal.removeEventListener = (type: string, listener: unknown, options?: unknown) => {
      if (type === 'abort') live.delete(listener)
      remove(type, listener, options)
    }
    return live
  }

  it('is left with no listener once a long wait for another holder ends: none piles up per poll', async () => {
    const inner = createMemoryStore()
    const clock = createManualClock()
    const { acquire, controller } = recorded(inner, clock)
    const live = listening(controller.signal)
    const theirs = await inner.lease!('k', 60_000)
    const waiting = acquire()
    for (let poll = 0; poll < 5; poll++) await clock.advance(LEASE_POLL_MS)
    await inner.set('k', fresh(clock.now()))
    await theirs!.release()
    await clock.advance(LEASE_POLL_MS)
    expect(await waiting).toEqual({ token: fresh(clock.now() - LEASE_POLL_MS) })
    expect(live.size).toBe(0)
  })

  it('aborted just as a poll is about to pause: the wait ends at once and leaves no timer', async () => {
    const manual = createManualClock()
    // The abort comes with the first clock reading after the lease was refused: the one before the pause.
    let closing: (() => void) | undefined
    const clock = {
      now: () => manual.now(),
      monotonic: () => {
        closing?.()
        return manual.monotonic()
      },
      setTimeout: (callback: () => void, ms: number) => manual.setTimeout(callback, ms),
      clearTimeout: (handle: unknown) => manual.clearTimeout(handle),
    }
    const inner = createMemoryStore()
    await inner.lease!('k', 60_000)
    const store: TokenStore = {
      ...inner,
      lease: async (key, ttl) => {
        const granted = await inner.lease!(key, ttl)
        closing = () => controller.abort()
        return granted
      },
    }
    const { acquire, controller, events } = recorded(store, clock)
    expect(await soon(acquire())).toStrictEqual({ lease: undefined })
    expect(manual.pending()).toBe(0)
    expect(events).toEqual([])
  })

  it('aborted while waiting: ends the wait at once, with the fetch-without-lease answer', async () => {
    const inner = createMemoryStore()
    const clock = createManualClock()
    const { acquire, controller, events } = recorded(inner, clock)
    await inner.lease!('k', 60_000)
    const waiting = acquire()
    await clock.advance(LEASE_POLL_MS)
    controller.abort()
    expect(await soon(waiting)).toStrictEqual({ lease: undefined })
    expect(events).toEqual([])
  })
})
