// @ts-nocheck
import { createManualClock } from '@m3ter-auth/testkit'
import { describe, expect, it } from 'vitest'
import { createMemoryStore } from './memory-store.ts'
import { createStoreSync, DEFAULT_STORE_CALL_MS, leaseTtl, usable } from './store-sync.ts'
import type { TokenStore } from './token-store.ts'

// The edges of store sync that a one-character change to store-sync.ts would move without the file's own
// tests noticing (found by mutation testing, issue 28).

describe('a stored token is usable', () => {
  it('until the millisecond before its refreshAt, and never at or past its expiresAt', () => {
    const t = { accessToken: 'a.b', obtainedAt: 0, refreshAt: 1_000, expiresAt: 2_000 }
    expect(usable(t, 999, undefined)).toBe(t)
    expect(usable(t, 999, 'other')).toBe(t)
    // A value whose refreshAt lies past its expiresAt (as written, unchecked) is not served once expired.
    const odd = { ...t, refreshAt: 3_000 }
    expect(usable(odd, 1_999, undefined)).toBe(odd)
    expect(usable(odd, 2_000, undefined)).toBeUndefined()
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
    for (const timeoutMs of [undefined, 0, -5, 300]) {
      const clock = createManualClock()
      const sync = createStoreSync({ store: sized(timeoutMs), clock, timeoutMs: 10_000, emit: () => {} })
      const signal = new AbortController().signal
      const got = await sync.acquire('k', { signal, rejected: undefined, startedAt: clock.now() })
      expect(got).toHaveProperty('lease')
    }
    const byDefault = leaseTtl(10_000, DEFAULT_STORE_CALL_MS)
    expect(ttls).toEqual([byDefault, byDefault, byDefault, leaseTtl(10_000, 300)])
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
    const pending = sync.acquire('k', { signal: during.signal, rejected: undefined, startedAt: clock.now() })
    during.abort()
    expect(await pending).toEqual({ lease: undefined })
    const before = new AbortController()
    before.abort()
    const got = await sync.acquire('k', {
      signal: before.signal,
      rejected: undefined,
      startedAt: clock.now(),
    })
    expect(got).toEqual({ lease: undefined })
    expect(events).toEqual([])
  })

  it('times out at its budget with a store_failed event', async () => {
    const clock = createManualClock()
    const events: unknown[] = []
    const sync = createStoreSync({ store: hanging(), clock, timeoutMs: 10_000, emit: (e) => events.push(e) })
    const signal = new AbortController().signal
    const pending = sync.acquire('k', { signal, rejected: undefined, startedAt: clock.now() })
    await clock.advance(DEFAULT_STORE_CALL_MS)
    expect(await pending).toEqual({ lease: undefined })
    expect(events).toEqual([{ type: 'store_failed', operation: 'get', reason: 'timeout' }])
  })
})
