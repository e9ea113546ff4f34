import { inspect } from 'node:util'
import { createManualClock, type ManualClock, type MockM3ter, startMockM3ter } from '@m3ter-auth/testkit'
import Redis from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { CLIENT_NAMES, type ClientName, FLEET_CLIENTS } from './clients.ts'
import { buildMember, type Fleet, startFleet } from './fleet.ts'
import type { BurstResult, MemberStatus } from './fleet-child.ts'
import { DEFAULT_FLEET_SIZE, fleetCoverage } from './fleet-coverage.ts'
import { AGE_COMMANDS, AGE_SCRIPT, type RedisServer, startRedisServer } from './redis-server.mjs'

// Measured on 2 shared cores: see FLEET_SIZE in clients.ts for the count and why.
const FLEET = Number(process.env.M3TER_FLEET_SIZE ?? DEFAULT_FLEET_SIZE)
const BURST = 100
/** Members of the fleets that test one client each: enough for a holder, a taker-over and a bystander. */
const SMALL_FLEET = 3
const ENCRYPTION_KEY = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => 255 - i)))

// Real processes and a real server on shared cores: generous limits (the assertions count, never time).
vi.setConfig({ testTimeout: 600_000, hookTimeout: 120_000 })

// Said before any scenario runs, so a shrunk run shows it even when a scenario fails or hangs.
beforeAll(() => console.log(fleetCoverage(FLEET, FLEET_CLIENTS)))

let redis: RedisServer
let observer: Redis
let script: string

beforeAll(async () => {
  ;[redis, script] = await Promise.all([startRedisServer(), buildMember()])
  observer = new Redis(redis.port, '127.0.0.1')
  observer.on('error', () => {})
}, 60_000)
afterAll(async () => {
  observer?.disconnect()
  await redis?.stop()
})

interface Run {
  readonly clock: ManualClock
  readonly m3ter: MockM3ter
  readonly fleet: Fleet
}
let run: Run | undefined
afterEach(async () => {
  await run?.fleet.close()
  await run?.m3ter.close()
  run = undefined
  await observer.flushall()
})

async function start(
  clients: readonly ClientName[],
  size: number,
  options: { encrypt?: boolean; timeoutMs?: number; tokenLatencyMs?: number } = {},
) {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const fleet = await startFleet({
    script,
    size,
    clients,
    redisUrl: redis.url,
    m3ter,
    clock,
    prefix: 'm3ter-auth:',
    ...(options.encrypt ? { encryptionKey: ENCRYPTION_KEY } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.tokenLatencyMs ? { tokenLatencyMs: options.tokenLatencyMs } : {}),
    beforeAdvance: ageRedis,
  })
  run = { clock, m3ter, fleet }
  return run
}

/** Fires a burst from every member and moves the fleet's time until it has settled and all are fresh. */
async function burst(fleet: Fleet, tag: string, size = BURST): Promise<BurstResult[]> {
  let results: BurstResult[] | undefined
  const pending = fleet.burst(size, tag).then((r) => {
    results = r
  })
  await fleet.runUntil((statuses: MemberStatus[]) => !!results && statuses.every((s) => s.status === 'fresh'))
  await pending
  return results!
}

function totals(results: BurstResult[]) {
  const statuses: Record<number, number> = {}
  for (const r of results)
    for (const [s, n] of Object.entries(r.statuses)) statuses[+s] = (statuses[+s] ?? 0) + n
  return { statuses, errors: results.flatMap((r) => r.errors) }
}

/** The instant every member is past its refresh point (and before its token expires). */
function refreshPoint(fleet: Fleet): number {
  const fetched = fleet.events.filter((e) => e.event.type === 'token_fetched')
  const generation = new Map<number, { refreshAt: number; expiresAt: number }>()
  for (const e of fetched) generation.set(e.member, e.event as never)
  const refreshAt = Math.max(...[...generation.values()].map((t) => t.refreshAt))
  const expiresAt = Math.min(...[...generation.values()].map((t) => t.expiresAt))
  expect(refreshAt).toBeLessThan(expiresAt)
  return refreshAt
}

/** Commands the aging ran since the last CONFIG RESETSTAT. */
let aging: Record<string, number> = {}

/**
 * Redis's clock follows the fleet's: it keeps each token's remaining lifetime as a TTL on real time, which
 * barely moves while the fleet's time jumps hours. Aged by as much as the fleet's time moves.
 */
async function ageRedis(ms: number): Promise<void> {
  // A Redis that is down (killed by a test) has nothing to age, and keeps nothing when it comes back.
  if (observer.status !== 'ready') return
  const ran = (await observer.eval(AGE_SCRIPT, 0, String(Math.floor(ms)))) as number[]
  AGE_COMMANDS.forEach((name, i) => {
    aging[name] = (aging[name] ?? 0) + (ran[i] ?? 0)
  })
}

/** Every key and value in Redis, as one string. */
async function dump(): Promise<string> {
  const keys = await observer.keys('*')
  const values = await Promise.all(keys.map((k) => observer.get(k)))
  return JSON.stringify({ keys, values })
}

/** No issued token and no secret in anything the fleet reported, nor (when `values`) in Redis. */
async function expectNoSecrets(m3ter: MockM3ter, fleet: Fleet, extra: unknown, values: boolean) {
  const reported = inspect({ events: fleet.events, extra }, { depth: 10 })
  const stored = await dump()
  const keys = JSON.stringify(await observer.keys('*'))
  for (const secret of [m3ter.keys[0]!.apiSecret, ...m3ter.issuedTokens]) {
    expect(reported).not.toContain(secret)
    expect(keys).not.toContain(secret)
    if (values || secret === m3ter.keys[0]!.apiSecret) expect(stored).not.toContain(secret)
  }
}

/** Commands Redis ran since the last CONFIG RESETSTAT, by name (the observer's own excluded). */
async function commandsRun(): Promise<Record<string, number>> {
  const info = await observer.info('commandstats')
  const counts: Record<string, number> = {}
  for (const match of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) {
    const [, name, calls] = match as unknown as [string, string, string]
    const members = Number(calls) - (aging[name] ?? 0)
    if (!['info', 'config'].includes(name) && members > 0) counts[name] = members
  }
  return counts
}

describe('a mixed fleet on a real redis-server', () => {
  it(`${FLEET} processes × ${BURST} requests (ioredis 5/6 and node-redis 4/5/6 round-robin, encryption on): one token request per lifetime over three lifetimes, none per request while fresh; a revocation costs one refresh, each request retried once`, async () => {
    const { m3ter, fleet, clock } = await start(CLIENT_NAMES, FLEET, { encrypt: true })
    const all = FLEET * BURST

    const cold = totals(await burst(fleet, 'cold'))
    expect(cold).toEqual({ statuses: { 200: all }, errors: [] })
    expect(m3ter.stats.tokenRequests).toBe(1)

    // The hot path stays local: a fresh token costs no Redis command at all.
    await observer.config('RESETSTAT')
    aging = {}
    const hot = totals(await burst(fleet, 'hot'))
    expect(hot.statuses).toEqual({ 200: all })
    expect(await commandsRun()).toEqual({})

    for (const lifetime of [2, 3]) {
      await fleet.advanceTo(refreshPoint(fleet))
      const refreshed = totals(await burst(fleet, `life-${lifetime}`))
      expect(refreshed).toEqual({ statuses: { 200: all }, errors: [] })
      expect(m3ter.stats.tokenRequests).toBe(lifetime)
    }
    const generations = (await fleet.ask('status')) as MemberStatus[]
    expect(new Set(generations.map((s) => s.status))).toEqual(new Set(['fresh']))

    // Revocation: every request meets a 403, the fleet refreshes once, each request is sent again once.
    const before = { ...m3ter.stats, apiRequestsByStatus: { ...m3ter.stats.apiRequestsByStatus } }
    m3ter.revokeAll()
    const revoked = totals(await burst(fleet, 'revoked'))
    expect(revoked).toEqual({ statuses: { 200: all }, errors: [] })
    expect(m3ter.stats.tokenRequests).toBe(4)
    expect(m3ter.stats.apiRetries - before.apiRetries).toBe(all)
    expect((m3ter.stats.apiRequestsByStatus[403] ?? 0) - (before.apiRequestsByStatus[403] ?? 0)).toBe(all)
    expect(m3ter.stats.apiRequests - before.apiRequests).toBe(2 * all)
    expect(clock.now()).toBeGreaterThan(0)

    // Encryption on: a scan of every key and value finds no bearer, and nothing reported shows one.
    await expectNoSecrets(m3ter, fleet, [cold, hot, revoked], true)
  })
})

describe('a fleet whose token endpoint is slow', () => {
  it.each([1_500, 5_000])(
    `endpoint at %i ms: ${FLEET} processes at once make one token request`,
    async (tokenLatencyMs) => {
      const { m3ter, fleet } = await start(CLIENT_NAMES, FLEET, { tokenLatencyMs })
      const cold = totals(await burst(fleet, `slow-${tokenLatencyMs}`, 10))
      expect(cold).toEqual({ statuses: { 200: FLEET * 10 }, errors: [] })
      expect(m3ter.stats.tokenRequests).toBe(1)
    },
  )
})

describe.each(FLEET_CLIENTS)('a small fleet on %s and a real redis-server', (client) => {
  it('the lease holder killed (SIGKILL) mid token request: another takes over once its lease expires; no request fails', async () => {
    const size = SMALL_FLEET
    const { m3ter, fleet } = await start([client], size, { timeoutMs: 1_000 })
    m3ter.faults.inject('token', { kind: 'hang' })
    const expired = leaseExpiry()
    const results = fleet.burst(20, 'holder-dies')
    const holder = await fleet.next((e) => e.event.type === 'lease_acquired')
    await until(() => m3ter.stats.tokenRequests === 1)
    await fleet.kill(holder.member)
    await expired // Redis's own clock ends the dead holder's lease (the fleet's clock stands still)
    let settled: BurstResult[] | undefined
    results.then((r) => {
      settled = r
    })
    await fleet.runUntil((s) => !!settled && s.every((m) => m.status === 'fresh'))
    expect(totals(settled!)).toEqual({ statuses: { 200: 20 * (size - 1) }, errors: [] })
    expect(m3ter.stats.tokenRequests).toBe(2)
    await expectNoSecrets(m3ter, fleet, settled, false)
  })

  it('Redis killed mid-run, then restarted: no request fails, members fetch for themselves (and say so), then share again', async () => {
    const size = SMALL_FLEET
    const { m3ter, fleet } = await start([client], size)
    expect(totals(await burst(fleet, 'before'))).toEqual({ statuses: { 200: size * BURST }, errors: [] })
    expect(m3ter.stats.tokenRequests).toBe(1)

    const during = fleet.burst(BURST, 'killed')
    await redis.kill()
    expect(totals(await during)).toEqual({ statuses: { 200: size * BURST }, errors: [] })
    await fleet.ask('down')
    await fleet.advanceTo(refreshPoint(fleet))
    const since = fleet.events.length
    expect(totals(await burst(fleet, 'down'))).toEqual({ statuses: { 200: size * BURST }, errors: [] })
    // Each member refreshed on its own, and said why.
    expect(m3ter.stats.tokenRequests).toBe(1 + size)
    const failed = fleet.events.slice(since).filter((e) => e.event.type === 'store_failed')
    expect(new Set(failed.map((e) => e.member)).size).toBe(size)
    expect(fleet.events.slice(since).filter((e) => e.event.type === 'not_ready').length).toBeGreaterThan(0)

    await redis.restart()
    await fleet.ask('up')
    await fleet.advanceTo(refreshPoint(fleet))
    expect(totals(await burst(fleet, 'back'))).toEqual({ statuses: { 200: size * BURST }, errors: [] })
    expect(m3ter.stats.tokenRequests).toBe(2 + size)
    await expectNoSecrets(m3ter, fleet, [], false)
  })
})

/** Resolves when a lease key expires in Redis (keyspace notifications, so nobody sleeps). */
function leaseExpiry(): Promise<void> {
  const subscriber = observer.duplicate()
  subscriber.on('error', () => {})
  return new Promise((resolve) => {
    subscriber.on('pmessage', (_pattern: string, _channel: string, key: string) => {
      if (!key.endsWith(':lease')) return
      subscriber.disconnect()
      resolve()
    })
    subscriber.psubscribe('__keyevent@*__:expired')
  })
}

async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100_000 && !condition(); turn++) await new Promise((r) => setImmediate(r))
  expect(condition()).toBe(true)
}
