// What goes wrong for a fleet beyond the happy timing, against a real redis-server: a wrong secret, a
// stalled lease holder, ioredis re-sending a write after a reconnect, a client still connecting at first
// use, and Redis far away (a real loopback proxy that delays every round trip).
import {
  createTokenProvider,
  isM3terAuthError,
  type M3terAuthEvent,
  type StoredToken,
  systemClock,
  type TokenProvider,
} from '@m3ter-auth/core'
import { storeKeyOf } from '@m3ter-auth/core/internals'
import { createManualClock, type ManualClock, type MockM3ter, startMockM3ter } from '@m3ter-auth/testkit'
import Redis from 'ioredis'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createRedisStore, type RedisStoreEvent } from '../src/index.ts'
import { CLIENT_NAMES, CLIENTS, type ClientName, type Connected } from './clients.ts'
import { createQuiet, type Quiet } from './quiet.ts'
import { type RedisServer, startRedisServer } from './redis-server.mjs'
import { startTcpProxy } from './tcp-proxy.ts'

const CORE_KEY = 'm3ter-auth:v2:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
const NOW = Date.UTC(2026, 0, 1)
// Real sockets, and (for the far-away Redis) real round trips: generous limits; assertions count, never time.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 })

let redis: RedisServer
let observer: Redis
beforeAll(async () => {
  redis = await startRedisServer()
  observer = new Redis(redis.port, '127.0.0.1')
  observer.on('error', () => {})
})
afterAll(async () => {
  observer?.disconnect()
  await redis?.stop()
})
beforeEach(async () => {
  await observer.flushall()
})

function token(name: string, obtainedAgoMs: number, lifetimeMs = 120_000): StoredToken {
  const obtainedAt = NOW - obtainedAgoMs
  return {
    accessToken: name,
    obtainedAt,
    refreshAt: obtainedAt + lifetimeMs / 2,
    expiresAt: obtainedAt + lifetimeMs,
  }
}

/** Moves the manual clock in 100 ms steps, only while no store call or token request is in flight. */
async function drive<T>(clock: ManualClock, quiet: Quiet, promises: Promise<T>[]) {
  // Every member first reaches the store (see Quiet.reached): only then does time move.
  await quiet.reached('get', (quiet.calls.get ?? 0) + promises.length)
  let done = false
  const all = Promise.allSettled(promises).finally(() => {
    done = true
  })
  for (let i = 0; i < 500 && !done; i++) {
    await quiet.idle()
    await clock.advance(100)
  }
  return all
}

function member(
  m3ter: MockM3ter,
  options: { clock: ManualClock; quiet: Quiet; client: unknown; apiSecret?: string; timeoutMs?: number },
) {
  const events: Array<RedisStoreEvent | M3terAuthEvent> = []
  const auth = createTokenProvider({
    credentials: {
      accessKeyId: m3ter.keys[0]!.accessKeyId,
      apiSecret: options.apiSecret ?? m3ter.keys[0]!.apiSecret,
    },
    tokenUrl: m3ter.tokenUrl,
    scope: [m3ter.apiUrl],
    clock: options.clock,
    fetch: options.quiet.fetch(fetch),
    onEvent: (e) => events.push(e),
    store: options.quiet.store(
      createRedisStore({
        client: options.client as never,
        clock: options.clock,
        onEvent: (e) => events.push(e),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      }),
    ),
  })
  return { auth, events }
}

describe.each(CLIENT_NAMES)('on %s', (name: ClientName) => {
  let connected: Connected
  beforeAll(async () => {
    connected = await CLIENTS[name].connect(redis.url)
  })
  afterAll(() => connected?.close())

  it('a holder stalled past its lease never writes its older token over the next holder’s', async () => {
    const events: RedisStoreEvent[] = []
    const store = createRedisStore({
      client: connected.client,
      clock: { now: () => NOW },
      onEvent: (e) => events.push(e),
    })
    // The next holder fetched a minute after the stalled one, and wrote first.
    await store.set(CORE_KEY, token('newer', 0))
    await store.set(CORE_KEY, token('older', 60_000))
    expect((await store.get(CORE_KEY))?.accessToken).toBe('newer')
    expect(events).toContainEqual(expect.objectContaining({ type: 'write_refused', reason: 'newer_stored' }))
  })

  it("clocks 30 minutes apart: the reader's token ends when the writer's does, in the reader's own time", async () => {
    const LIFETIME = 5 * 3_600_000
    const skew = 15 * 60_000
    const writer = createRedisStore({ client: connected.client, clock: { now: () => NOW + skew } })
    const reader = createRedisStore({ client: connected.client, clock: { now: () => NOW - skew } })
    // Fetched by the writer at its NOW + 15 min: the token truly ends 5 h after that.
    await writer.set(CORE_KEY, token('T', -skew, LIFETIME))
    const read = await reader.get(CORE_KEY)
    // The reader's clock is 30 min behind: it must see the token end within 5 h of its own now, not 5 h 30.
    const leftForReader = read!.expiresAt - (NOW - skew)
    expect(leftForReader).toBeLessThanOrEqual(LIFETIME)
    expect(leftForReader).toBeGreaterThan(LIFETIME - 5_000)
    expect(read!.refreshAt - read!.obtainedAt).toBe(LIFETIME / 2)
  })

  it('a wrong secret with the right key id is never served the token: it gets invalid_credentials', async () => {
    const clock = createManualClock()
    const m3ter = await startMockM3ter({ clock })
    const quiet = createQuiet()
    try {
      await storeKeyOf(m3ter.tokenUrl, m3ter.keys[0]!) // derived before the clock-driven part
      await storeKeyOf(m3ter.tokenUrl, { ...m3ter.keys[0]!, apiSecret: 'not-the-secret' })
      const right = member(m3ter, { clock, quiet, client: connected.client })
      const [served] = await drive(clock, quiet, [right.auth.getToken()])
      const wrong = member(m3ter, { clock, quiet, client: connected.client, apiSecret: 'not-the-secret' })
      const [refused] = await drive(clock, quiet, [wrong.auth.getToken()])
      expect(served?.status).toBe('fulfilled')
      expect(refused?.status).toBe('rejected')
      const reason = (refused as PromiseRejectedResult).reason
      expect(isM3terAuthError(reason) && reason.code).toBe('invalid_credentials')
      await Promise.all([right.auth.close(), wrong.auth.close()])
    } finally {
      await m3ter.close()
    }
  })
})

describe.each(['ioredis 5', 'ioredis 6'] as const)('%s re-sending a write after a reconnect', (name) => {
  it('a revoked token is never written back nor served again, even when it would expire after the new one', async () => {
    const proxy = await startTcpProxy(redis.port)
    const late = await CLIENTS[name].connect(proxy.url)
    const events: RedisStoreEvent[] = []
    const clock = { now: () => NOW }
    const stalled = createRedisStore({ client: late.client, clock, onEvent: (e) => events.push(e) })
    const fleet = createRedisStore({ client: observer, clock })
    try {
      // The connection looks alive; the write goes into the void and waits in ioredis's queue.
      proxy.blackhole = true
      const write = stalled.set(CORE_KEY, token('T1', 0, 240_000))
      // Meanwhile T1 is rejected (compare-and-delete) and T2, shorter-lived, is stored.
      await fleet.delete(CORE_KEY, 'T1')
      await fleet.set(CORE_KEY, token('T2', 0, 120_000))
      // The connection drops; ioredis reconnects and sends the queued write again.
      proxy.cut()
      await write
      expect(events).toContainEqual(expect.objectContaining({ type: 'write_refused', reason: 'revoked' }))
      expect((await fleet.get(CORE_KEY))?.accessToken).toBe('T2')
      expect((await stalled.get(CORE_KEY))?.accessToken).toBe('T2')
    } finally {
      await late.close()
      await proxy.close()
    }
  })
})

describe('a client still connecting at first use', () => {
  it('6 members, each with `new Redis(url)` used at once, share one token request', async () => {
    const clock = createManualClock()
    const m3ter = await startMockM3ter({ clock })
    const quiet = createQuiet()
    await storeKeyOf(m3ter.tokenUrl, m3ter.keys[0]!)
    // Made right before first use, as the README shows: still connecting when the first call comes.
    const clients = Array.from({ length: 6 }, () => new Redis(redis.url))
    for (const c of clients) c.on('error', () => {})
    try {
      expect(clients.every((c) => c.status === 'connecting')).toBe(true)
      // The wait for a first connection is bounded by the store's budget in real time; 5 s absorbs a
      // loaded CI machine (the manual clock does not move while a store call is in flight).
      const members = clients.map((client) => member(m3ter, { clock, quiet, client, timeoutMs: 5_000 }))
      const settled = await drive(
        clock,
        quiet,
        members.map((m) => m.auth.getToken()),
      )
      expect(settled.every((s) => s.status === 'fulfilled')).toBe(true)
      expect(m3ter.stats.tokenRequests).toBe(1)
      expect(members.flatMap((m) => m.events).filter((e) => e.type === 'not_ready')).toEqual([])
      await Promise.all(members.map((m) => m.auth.close()))
    } finally {
      for (const c of clients) c.disconnect()
      await m3ter.close()
    }
  })
})

describe('a cold fleet with Redis far away (real round trips through a delaying proxy)', () => {
  const MEMBERS = 6
  /** Real clock: the providers' budgets race real round trips here. */
  async function coldFleet(rttMs: number | 'dead') {
    const m3ter = await startMockM3ter()
    const proxy = await startTcpProxy(redis.port, rttMs === 'dead' ? 0 : rttMs)
    const connections = await Promise.all(
      Array.from({ length: MEMBERS }, () => CLIENTS['ioredis 5'].connect(proxy.url)),
    )
    if (rttMs === 'dead') {
      await proxy.close()
      await Promise.all(connections.map((c) => c.whenDown()))
    }
    let members: TokenProvider[] = []
    try {
      await storeKeyOf(m3ter.tokenUrl, m3ter.keys[0]!)
      members = connections.map((c) =>
        createTokenProvider({
          credentials: m3ter.keys[0]!,
          tokenUrl: m3ter.tokenUrl,
          scope: [m3ter.apiUrl],
          clock: systemClock,
          store: createRedisStore({ client: c.client }),
        }),
      )
      const started = performance.now()
      const tokens = await Promise.all(members.map((m) => m.getToken()))
      return { ms: Math.round(performance.now() - started), tokens, tokenRequests: m3ter.stats.tokenRequests }
    } finally {
      await Promise.all(members.map((m) => m.close()))
      await Promise.all(connections.map((c) => c.close()))
      await proxy.close().catch(() => {})
      await m3ter.close()
      await observer.flushall()
    }
  }

  it('every member gets a token; never more token requests than members; times printed', async () => {
    const figures: string[] = []
    for (const rtt of [0, 200, 400, 600, 'dead'] as const) {
      const run = await coldFleet(rtt)
      figures.push(`RTT ${rtt}: ${run.ms} ms, ${run.tokenRequests} token request(s)`)
      expect(run.tokens.every((t) => typeof t === 'string' && t.length > 0)).toBe(true)
      expect(run.tokenRequests).toBeGreaterThanOrEqual(1)
      expect(run.tokenRequests).toBeLessThanOrEqual(MEMBERS)
      if (rtt === 0) expect(run.tokenRequests).toBe(1)
    }
    console.log(`cold fleet of ${MEMBERS}: ${figures.join('; ')}`)
  })
})
