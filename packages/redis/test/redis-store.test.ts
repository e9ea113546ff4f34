import { inspect } from 'node:util'
import { createTokenProvider, type M3terAuthEvent, type StoredToken, type TokenStore } from '@m3ter-auth/core'
import { storeKeyOf } from '@m3ter-auth/core/internals'
import { createManualClock, createProviderFor, startMockM3ter } from '@m3ter-auth/testkit'
import Redis from 'ioredis'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { MAX_LIFETIME_MS } from '../src/codec.ts'
import { createRedisStore, type RedisStoreEvent, VALUE_VERSION } from '../src/index.ts'
import { CLIENT_NAMES, CLIENTS, type Connected } from './clients.ts'
import { createQuiet } from './quiet.ts'
import { type RedisServer, startRedisServer } from './redis-server.mjs'

const CORE_KEY = 'm3ter-auth:v1:https://api.m3ter.com/oauth/token:AKIA-EXAMPLE'
const NOW = Date.UTC(2026, 0, 1)
const ENCRYPTION_KEY = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => i)))
const OTHER_KEY = crypto.getRandomValues(new Uint8Array(32))

// Real processes and a real server on shared cores: generous limits (the assertions count, never time).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 })

let redis: RedisServer
/** The test's own view of Redis: every key and value, as an operator (or an attacker) would see them. */
let observer: Redis

beforeAll(async () => {
  redis = await startRedisServer()
  observer = new Redis(redis.port, '127.0.0.1')
  observer.on('error', () => {}) // it reconnects after the test that kills Redis
})
afterAll(async () => {
  observer?.disconnect()
  await redis?.stop()
})
beforeEach(async () => {
  await observer.flushall()
})

function token(name = 'header.payload.signature', lifetime = 120_000): StoredToken {
  return { accessToken: name, obtainedAt: NOW, refreshAt: NOW + lifetime / 2, expiresAt: NOW + lifetime }
}

/**
 * `expected` as a reader at NOW rebuilds it: Redis kept the remaining lifetime, a few real milliseconds
 * went by, so its times are as much earlier.
 */
function readBack(expected: StoredToken) {
  return {
    accessToken: expected.accessToken,
    expiresAt: expect.toSatisfy((t: number) => t <= expected.expiresAt && t > expected.expiresAt - 1_000),
    obtainedAt: expect.toSatisfy((t: number) => t <= expected.obtainedAt && t > expected.obtainedAt - 1_000),
    refreshAt: expect.toSatisfy((t: number) => t <= expected.refreshAt && t > expected.refreshAt - 1_000),
  }
}

/** Every key and value in Redis, as one string to search. */
async function dump(): Promise<string> {
  const keys = await observer.keys('*')
  const values = await Promise.all(keys.map((k) => observer.get(k)))
  return JSON.stringify({ keys, values })
}

async function redisKeyOf(coreKey: string, prefix = 'm3ter-auth:'): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(coreKey)))
  return prefix + Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * Core derives the store key (PBKDF2, tens of real milliseconds) inside an attempt whose budget runs on the
 * manual clock; a test that moves that clock while nothing is in flight would spend the budget during the
 * derivation. Derived once here, it is cached for every provider of this process.
 */
function warmStoreKey(m3ter: {
  tokenUrl: string
  keys: readonly { accessKeyId: string; apiSecret: string }[]
}) {
  return storeKeyOf(m3ter.tokenUrl, m3ter.keys[0]!)
}

function printed(value: unknown): string {
  const message = value instanceof Error ? `${value.message} ${String(value.stack)}` : ''
  return `${message}\n${JSON.stringify(value) ?? ''}\n${inspect(value, { depth: 8, showHidden: true })}`
}

describe.each(CLIENT_NAMES)('createRedisStore on %s against a real redis-server', (name) => {
  let connected: Connected
  let events: RedisStoreEvent[]
  const store = (options: Partial<Parameters<typeof createRedisStore>[0]> = {}): TokenStore =>
    createRedisStore({
      client: connected.client,
      clock: { now: () => NOW },
      onEvent: record,
      ...options,
    })

  beforeAll(async () => {
    connected = await CLIENTS[name].connect(redis.url)
  })
  afterAll(async () => {
    await connected?.close()
  })
  beforeEach(async () => {
    events = []
    await connected.whenReady() // after the test that kills Redis, this client reconnects on its own
  })
  let listeners: Array<(event: RedisStoreEvent) => void> = []
  const record = (event: RedisStoreEvent) => {
    events.push(event)
    for (const listener of listeners) listener(event)
  }
  /** Resolves at the next store event of this type. */
  const next = (type: RedisStoreEvent['type']) =>
    new Promise<void>((resolve) => {
      const listener = (event: RedisStoreEvent) => {
        if (event.type !== type) return
        listeners = listeners.filter((l) => l !== listener)
        resolve()
      }
      listeners.push(listener)
    })

  it('keys are <prefix><sha-256 of the core key>; values carry a format version and durations; the TTL is the remaining lifetime', async () => {
    const s = store({ prefix: 'fleet:' })
    await s.set(CORE_KEY, token())
    const keys = await observer.keys('*')
    expect(keys).toHaveLength(1)
    expect(keys[0]).toBe(await redisKeyOf(CORE_KEY, 'fleet:'))
    expect(keys[0]).toMatch(/^fleet:[0-9a-f]{64}$/)
    expect(JSON.parse((await observer.get(keys[0]!))!)).toEqual({
      v: VALUE_VERSION,
      t: expect.stringMatching(/^[0-9a-f]{64}$/),
      token: { accessToken: token().accessToken, lifetimeMs: 120_000, refreshMs: 60_000 },
    })
    const ttl = await observer.pttl(keys[0]!)
    expect(ttl).toBeGreaterThan(120_000 - 1_000)
    expect(ttl).toBeLessThanOrEqual(120_000)
    expect(await s.get(CORE_KEY)).toEqual(readBack(token()))
  })

  it('a token already past expiresAt is not written', async () => {
    await store({ clock: { now: () => NOW + 120_000 } }).set(CORE_KEY, token())
    expect(await observer.dbsize()).toBe(0)
  })

  it('the lease: SET NX PX with a random value; only its holder releases it (compare-and-delete)', async () => {
    const s = store()
    const first = await s.lease!(CORE_KEY, 5_000)
    expect(first).toBeDefined()
    expect(await s.lease!(CORE_KEY, 5_000)).toBeUndefined()
    const [leaseKey] = await observer.keys('*:lease')
    expect(await observer.get(leaseKey!)).toMatch(/^[0-9a-f]{32}$/)
    const ttl = await observer.pttl(leaseKey!)
    expect(ttl).toBeGreaterThan(4_000)
    expect(ttl).toBeLessThanOrEqual(5_000)
    // The lease expired and another member took it: the first holder's release leaves it alone.
    await observer.del(leaseKey!)
    const second = await s.lease!(CORE_KEY, 5_000)
    await first!.release()
    expect(await observer.exists(leaseKey!)).toBe(1)
    await second!.release()
    expect(await observer.exists(leaseKey!)).toBe(0)
    expect(events.map((e) => e.type)).toEqual([
      'lease_acquired',
      'lease_busy',
      'lease_acquired',
      'lease_released',
      'lease_released',
    ])
    expect(events.filter((e) => e.type === 'lease_released')).toMatchObject([{ held: false }, { held: true }])
  })

  it('delete with a token is compare-and-delete: a newer token stays', async () => {
    const s = store({ encryptionKey: ENCRYPTION_KEY })
    await s.set(CORE_KEY, token('newer'))
    await s.delete(CORE_KEY, 'older')
    expect(await s.get(CORE_KEY)).toEqual(readBack(token('newer')))
    await s.delete(CORE_KEY, 'newer')
    expect(await s.get(CORE_KEY)).toBeUndefined()
    await s.set(CORE_KEY, token('any'))
    await s.delete(CORE_KEY)
    // What stays is a tombstone per revoked token: for its remaining lifetime when it was stored ('newer'),
    // for the longest lifetime a token may have when it was not ('older').
    const keys = await observer.keys('*')
    expect(keys).toEqual([
      expect.stringMatching(/^\{m3ter-auth:[0-9a-f]{64}\}:revoked:[0-9a-f]{64}$/),
      expect.stringMatching(/^\{m3ter-auth:[0-9a-f]{64}\}:revoked:[0-9a-f]{64}$/),
    ])
    const ttls = (await Promise.all(keys.map((k) => observer.pttl(k)))).sort((a, b) => a - b)
    expect(ttls[0]).toBeGreaterThan(100_000)
    expect(ttls[0]).toBeLessThanOrEqual(120_000)
    expect(ttls[1]).toBeGreaterThan(MAX_LIFETIME_MS - 10_000)
  })

  it('corrupt, newer-version, other-key, clear and sealed-without-key values read as "no token", with an event', async () => {
    const plain = store()
    const sealed = store({ encryptionKey: ENCRYPTION_KEY })
    const other = store({ encryptionKey: OTHER_KEY })
    await plain.set(CORE_KEY, token())
    const [key] = await observer.keys('*')
    const cases: Array<[string, TokenStore, string]> = [
      ['not json {', plain, 'corrupt'],
      [`{"v":${VALUE_VERSION},"token":{"accessToken":42}}`, plain, 'corrupt'],
      [
        '{"v":1,"token":{"accessToken":"x","obtainedAt":0,"expiresAt":1e15,"refreshAt":1e15}}',
        plain,
        'older_version',
      ],
      ['[1,2]', plain, 'corrupt'],
      [JSON.stringify({ v: VALUE_VERSION + 1, token: token(), more: 'fields' }), plain, 'newer_version'],
    ]
    for (const [value, s, reason] of cases) {
      await observer.set(key!, value)
      expect(await s.get(CORE_KEY)).toBeUndefined()
      expect(events.at(-1)).toMatchObject({ type: 'value_ignored', reason, key })
    }
    await other.set(CORE_KEY, token())
    expect(await sealed.get(CORE_KEY)).toBeUndefined()
    expect(events.at(-1)).toMatchObject({ type: 'value_ignored', reason: 'wrong_key' })
    expect(await plain.get(CORE_KEY)).toBeUndefined()
    expect(events.at(-1)).toMatchObject({ type: 'value_ignored', reason: 'encrypted' })
    await plain.set(CORE_KEY, token())
    expect(await sealed.get(CORE_KEY)).toBeUndefined()
    expect(events.at(-1)).toMatchObject({ type: 'value_ignored', reason: 'not_encrypted' })
    // A sealed value copied under another Redis key does not open there: the key is bound to it.
    await sealed.set(CORE_KEY, token())
    await sealed.set(`${CORE_KEY}-2`, token('two'))
    const [one, two] = await Promise.all([CORE_KEY, `${CORE_KEY}-2`].map((k) => redisKeyOf(k)))
    await observer.set(two!, (await observer.get(one!))!)
    expect(await sealed.get(`${CORE_KEY}-2`)).toBeUndefined()
    expect(events.at(-1)).toMatchObject({ type: 'value_ignored', reason: 'wrong_key' })
  })

  it('a provider replaces an unreadable value with a token of its own', async () => {
    const clock = createManualClock()
    const m3ter = await startMockM3ter({ clock })
    try {
      // Derived (and cached) before the clock-driven part: see warmStoreKey.
      const coreKey = await warmStoreKey(m3ter)
      const s = store({ encryptionKey: ENCRYPTION_KEY, clock })
      const auth = createProviderFor(m3ter, { clock, store: s })
      const released = next('lease_released')
      await auth.getToken()
      await released
      await auth.close()
      const key = await redisKeyOf(coreKey)
      const otherKey = store({ encryptionKey: OTHER_KEY, clock })
      const spoil: Array<() => Promise<unknown>> = [
        () => observer.set(key, 'garbage'),
        () => observer.set(key, JSON.stringify({ v: VALUE_VERSION + 1, sealed: 'from.the-future' })),
        () =>
          otherKey.set(coreKey, {
            ...token('x.y.z'),
            // Expiring after the fleet's token, so the fenced write takes it; replaced all the same.
            obtainedAt: clock.now(),
            refreshAt: clock.now() + 2e7,
            expiresAt: clock.now() + 3e7,
          }),
      ]
      for (const write of spoil) {
        await write()
        const fresh = createProviderFor(m3ter, { clock, store: s })
        const released = next('lease_released')
        const got = await fresh.getToken()
        await released // the lease goes only after the write
        await fresh.close()
        expect(got).not.toBe('x.y.z')
        expect(await s.get(coreKey)).toMatchObject({ accessToken: got })
      }
      // Each is read twice (before the lease and once more under it), then replaced.
      const reasons = events
        .filter((e) => e.type === 'value_ignored')
        .map((e) => (e as { reason: string }).reason)
      expect([...new Set(reasons)]).toEqual(['corrupt', 'newer_version', 'wrong_key'])
      expect(m3ter.stats.tokenRequests).toBe(4)
    } finally {
      await m3ter.close()
    }
  })

  it('encryption on: no key or value in Redis holds the bearer, the secret or the access key id', async () => {
    const clock = createManualClock()
    const m3ter = await startMockM3ter({ clock })
    try {
      const s = store({ encryptionKey: ENCRYPTION_KEY, clock })
      const auth = createProviderFor(m3ter, { clock, store: s })
      const released = next('lease_released')
      const bearer = await auth.getToken()
      await released
      const lease = await s.lease!('another', 10_000)
      const everything = await dump()
      const [, payload, signature] = bearer.split('.')
      for (const secret of [
        bearer,
        payload!,
        signature!,
        m3ter.keys[0]!.apiSecret,
        m3ter.keys[0]!.accessKeyId,
      ])
        expect(everything).not.toContain(secret)
      expect(everything).toContain('\\"sealed\\":')
      await lease!.release()
      await auth.close()
    } finally {
      await m3ter.close()
    }
  })

  it('not connected: nothing is sent or queued, the call fails at once, and sharing resumes on reconnect', async () => {
    const own = await CLIENTS[name].connect(redis.url)
    const s = createRedisStore({
      client: own.client,
      onEvent: (e) => events.push(e),
      clock: { now: () => NOW },
    })
    await s.set(CORE_KEY, token('before'))
    await redis.kill()
    await own.whenDown()
    await expect(s.lease!(CORE_KEY, 60_000)).rejects.toThrow(/not connected/)
    await expect(s.set(CORE_KEY, token('during'))).rejects.toThrow(/not connected/)
    await expect(s.get(CORE_KEY)).rejects.toThrow(/not connected/)
    expect(
      events.filter((e) => e.type === 'not_ready').map((e) => (e as { operation: string }).operation),
    ).toEqual(['lease', 'set', 'get'])
    await redis.restart()
    await own.whenReady()
    // A queued lease or write would be replayed now: Redis must stay empty.
    expect(await s.get(CORE_KEY)).toBeUndefined()
    expect(await observer.keys('*')).toEqual([])
    expect(await s.lease!(CORE_KEY, 60_000)).toBeDefined()
    await own.close()
  })

  it('Redis refusing a command: the call fails with our own words (nothing of the command), and says so', async () => {
    const s = store()
    await s.set(CORE_KEY, token())
    const [key] = await observer.keys('*')
    await observer.del(key!)
    await observer.hset(key!, 'field', 'header.payload.signature')
    const error = await s.get(CORE_KEY).catch((e: unknown) => e)
    expect(error).toMatchObject({ message: '@m3ter-auth/redis: get failed' })
    expect(printed(error)).not.toContain('header.payload.signature')
    expect(events.at(-1)).toMatchObject({ type: 'command_failed', operation: 'get' })
  })

  it('bad options are typed errors that name the problem and never show the key', () => {
    const secretish = 'c2VjcmV0LXNlY3JldC1zZWNyZXQ=' // base64, but 21 bytes
    for (const [options, what] of [
      [{ client: {} }, /client must be/],
      [{ client: connected.client, encryptionKey: secretish }, /encryptionKey must be 32 bytes/],
      [{ client: connected.client, encryptionKey: new Uint8Array(16) }, /encryptionKey must be 32 bytes/],
      [{ client: connected.client, encryptionKey: new Uint8Array(32) }, /too few distinct bytes/],
      [{ client: connected.client, encryptionKey: btoa('0123'.repeat(8)) }, /too few distinct bytes/],
      [{ client: connected.client, timeoutMs: 0 }, /timeoutMs/],
    ] as const) {
      let error: unknown
      try {
        createRedisStore(options as never)
      } catch (e) {
        error = e
      }
      expect(error).toMatchObject({ code: 'invalid_options', message: expect.stringMatching(what) })
      expect(printed(error)).not.toContain(secretish)
    }
  })
})

describe('a small fleet in one process, each member with its own client, on a real redis-server', () => {
  it('members with ioredis and node-redis share one token; a revocation costs one refresh; no secret anywhere', async () => {
    const clock = createManualClock()
    const m3ter = await startMockM3ter({ clock })
    const connections = await Promise.all(CLIENT_NAMES.map((n) => CLIENTS[n].connect(redis.url)))
    const quiet = createQuiet()
    const coreEvents: M3terAuthEvent[] = []
    const storeEvents: RedisStoreEvent[] = []
    const errors: unknown[] = []
    try {
      await warmStoreKey(m3ter)
      const members = connections.map((c) =>
        createTokenProvider({
          credentials: m3ter.keys[0]!,
          tokenUrl: m3ter.tokenUrl,
          scope: [m3ter.apiUrl],
          clock,
          fetch: quiet.fetch(fetch),
          onEvent: (e) => coreEvents.push(e),
          store: quiet.store(
            createRedisStore({
              client: c.client,
              clock,
              encryptionKey: ENCRYPTION_KEY,
              onEvent: (e) => storeEvents.push(e),
            }),
          ),
        }),
      )
      const drive = async (promises: Promise<string>[], reads: number) => {
        await quiet.reached('get', reads)
        let done = false
        const all = Promise.allSettled(promises).finally(() => {
          done = true
        })
        for (let i = 0; i < 500 && !done; i++) {
          await quiet.idle()
          await clock.advance(100)
        }
        const settled = await all
        for (const r of settled) if (r.status === 'rejected') errors.push(r.reason)
        return settled.map((r) => (r.status === 'fulfilled' ? r.value : ''))
      }
      const first = await drive(
        members.map((m) => m.getToken()),
        members.length,
      )
      expect(new Set(first).size).toBe(1)
      expect(m3ter.stats.tokenRequests).toBe(1)
      m3ter.revokeAll()
      for (const m of members) m.invalidate(first[0]!)
      const second = await drive(
        members.map((m) => m.getToken()),
        (quiet.calls.get ?? 0) + members.length,
      )
      expect(new Set(second).size).toBe(1)
      expect(second[0]).not.toBe(first[0])
      expect(m3ter.stats.tokenRequests).toBe(2)
      await Promise.all(members.map((m) => m.close()))
      const seen = printed({ coreEvents, storeEvents, errors }) + (await dump())
      for (const secret of [...m3ter.issuedTokens, m3ter.keys[0]!.apiSecret])
        expect(seen).not.toContain(secret)
      expect(errors).toEqual([])
    } finally {
      await Promise.all(connections.map((c) => c.close()))
      await m3ter.close()
    }
  })
})
