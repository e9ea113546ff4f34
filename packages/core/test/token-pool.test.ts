import { inspect } from 'node:util'
import {
  createManualClock,
  decodeJwtClaims,
  type ManualClock,
  type MockM3ter,
  startMockM3ter,
} from '@m3ter-auth/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import type { Credentials } from '../src/credentials.ts'
import { createMemoryStore } from '../src/memory-store.ts'
import type { TokenProvider } from '../src/provider.ts'
import { providerFor } from '../src/provider-for.ts'
import { createTokenPool, type TokenPoolEvent, type TokenPoolOptions } from '../src/token-pool.ts'

// The pool against a real mock m3ter that holds many organisations, each with a Service User of its own.
let open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  const closing = open.reverse()
  open = []
  for (const item of closing) await item.close()
})

interface PoolRig {
  readonly m3ter: MockM3ter
  readonly clock: ManualClock
  readonly orgIds: readonly string[]
  readonly keyOf: Map<string, Credentials>
  readonly events: TokenPoolEvent[]
  pool(options?: Partial<TokenPoolOptions>): ReturnType<typeof createTokenPool>
}

async function poolRig(organizations: number): Promise<PoolRig> {
  const clock = createManualClock()
  const orgIds = Array.from({ length: organizations }, (_, i) => `org-${i}`)
  const m3ter = await startMockM3ter({ clock, organizations: orgIds.map((orgId) => ({ orgId })) })
  open.push(m3ter)
  const keyOf = new Map<string, Credentials>()
  for (const { orgId, keys } of m3ter.organizations) keyOf.set(orgId, keys[0] as Credentials)
  const events: TokenPoolEvent[] = []
  return {
    m3ter,
    clock,
    orgIds,
    keyOf,
    events,
    pool(options = {}) {
      const pool = createTokenPool({
        credentialsFor: (orgId) => keyOf.get(orgId),
        tokenUrl: m3ter.tokenUrl,
        scope: [m3ter.apiUrl, m3ter.ingestUrl],
        clock,
        random: () => 0.5,
        onEvent: (event) => events.push(event),
        ...options,
      })
      open.push(pool)
      return pool
    },
  }
}

describe('createTokenPool', () => {
  it('500 organisations × 20 concurrent cold calls: exactly 500 token requests, each org its own token', async () => {
    const r = await poolRig(500)
    // Asynchronous lookups (a secret manager): concurrent first calls share one lookup and one member.
    let lookups = 0
    const pool = r.pool({
      credentialsFor: async (orgId) => {
        lookups++
        await Promise.resolve()
        return r.keyOf.get(orgId)
      },
    })
    const calls = r.orgIds.flatMap((orgId) =>
      Array.from({ length: 20 }, async () => ({ orgId, token: await (await pool.for(orgId))?.getToken() })),
    )
    const results = await Promise.all(calls)
    expect(r.m3ter.stats.tokenRequests).toBe(500)
    expect(lookups).toBe(500)
    for (const { orgId, token } of results) expect(decodeJwtClaims(token ?? '')?.orgId).toBe(orgId)
    expect(pool.snapshot().size).toBe(500)
    console.log(`pool: 500 orgs × 20 concurrent cold calls -> ${r.m3ter.stats.tokenRequests} token requests`)
  })

  it('concurrent first calls share one provider; an unknown organisation is undefined', async () => {
    const r = await poolRig(2)
    const pool = r.pool()
    const [a, b] = await Promise.all([pool.for('org-0'), pool.for('org-0')])
    expect(a).toBeDefined()
    expect(a).toBe(b)
    expect(await pool.for('org-1')).not.toBe(a)
    expect(await pool.for('not-ours')).toBeUndefined()
    expect(pool.snapshot().size).toBe(2)
  })

  it('a failing credentialsFor rejects with missing_credentials, naming the organisation, and is asked again', async () => {
    const r = await poolRig(1)
    let fail = true
    const pool = r.pool({
      credentialsFor: async (orgId) => {
        if (fail) throw new Error('vault sealed')
        return r.keyOf.get(orgId)
      },
    })
    await expect(pool.for('org-0')).rejects.toMatchObject({
      code: 'missing_credentials',
      message: expect.stringContaining('org-0'),
    })
    fail = false
    expect(await pool.for('org-0')).toBeDefined()
  })

  it('events and snapshot() name the organisation and show no secret', async () => {
    const r = await poolRig(2)
    const pool = r.pool()
    await (await pool.for('org-1'))?.getToken()
    const fetched = r.events.find((e) => e.type === 'token_fetched')
    expect(fetched).toMatchObject({ orgId: 'org-1' })
    expect(r.events.find((e) => e.type === 'pool_member_added')).toMatchObject({ orgId: 'org-1' })
    const snapshot = pool.snapshot()
    expect(snapshot.organizations['org-1']).toMatchObject({ orgId: 'org-1', status: 'fresh', generation: 1 })
    const secret = r.keyOf.get('org-1')?.apiSecret as string
    const [token] = r.m3ter.issuedTokens
    for (const view of [JSON.stringify(pool), inspect(pool, { depth: 5 }), JSON.stringify(r.events)]) {
      expect(view).not.toContain(secret)
      expect(view).not.toContain(token)
    }
  })

  it('10,000 organisations cycled through maxProviders: 100 keep no provider, timer or secret past eviction', async () => {
    const r = await poolRig(10_000)
    // Without the rig's event log, which would hold every member's events.
    const pool = r.pool({ maxProviders: 100, onEvent: () => undefined })
    const evictedFirst: TokenProvider[] = []
    const heapBefore = process.memoryUsage().heapUsed
    for (let start = 0; start < r.orgIds.length; start += 100) {
      const batch = r.orgIds.slice(start, start + 100)
      const members = await Promise.all(batch.map((orgId) => pool.for(orgId)))
      await Promise.all(members.map((member) => member?.getToken()))
      if (start === 0) evictedFirst.push(...(members as TokenProvider[]))
      expect(pool.snapshot().size).toBeLessThanOrEqual(100)
    }
    const snapshot = pool.snapshot()
    expect(snapshot.size).toBe(100)
    expect(Object.keys(snapshot.organizations)).toEqual(r.orgIds.slice(-100))
    expect(r.m3ter.stats.tokenRequests).toBe(10_000)
    // Evicted members are closed (nothing scheduled, nothing to serve); the pool has one timer, for idleness.
    expect(evictedFirst.every((member) => member.snapshot().status === 'closed')).toBe(true)
    expect(r.clock.pending()).toBe(1)
    const heapAfter = process.memoryUsage().heapUsed
    console.log(
      `pool: 10,000 orgs through maxProviders 100 -> ${snapshot.size} members, ${r.clock.pending()} timer, heap ${(heapBefore / 2 ** 20).toFixed(1)} -> ${(heapAfter / 2 ** 20).toFixed(1)} MiB (not asserted)`,
    )
    await pool.close()
    expect(r.clock.pending()).toBe(0)
    expect(pool.snapshot().size).toBe(0)
  }, 120_000)

  it('a member unused for idleMs is closed and forgotten; a used one stays', async () => {
    const r = await poolRig(3)
    const pool = r.pool({ idleMs: 60_000 })
    const first = await pool.for('org-0')
    await first?.getToken()
    await r.clock.advance(30_000)
    await pool.for('org-1')
    await r.clock.advance(30_000)
    expect(first?.snapshot().status).toBe('closed')
    expect(Object.keys(pool.snapshot().organizations)).toEqual(['org-1'])
    expect(r.events.filter((e) => e.type === 'pool_member_evicted')).toMatchObject([
      { orgId: 'org-0', reason: 'idle' },
    ])
    await r.clock.advance(30_000)
    expect(pool.snapshot().size).toBe(0)
    expect(r.clock.pending()).toBe(0)
    // Forgotten, so the next use creates a new member.
    const again = await pool.for('org-0')
    expect(again).not.toBe(first)
    expect(await again?.getToken()).toBeTruthy()
  })

  it('an evicted member whose token request callers wait for finishes it for them, then closes', async () => {
    const r = await poolRig(2)
    const pool = r.pool({ maxProviders: 1 })
    const member = (await pool.for('org-0')) as TokenProvider
    r.m3ter.faults.inject('token', { kind: 'hold' })
    const waiting = member.getToken()
    while (r.m3ter.faults.held() < 1) await new Promise((resolve) => setTimeout(resolve, 2))
    await pool.for('org-1') // past maxProviders: org-0 is evicted while its request is in flight
    expect(Object.keys(pool.snapshot().organizations)).toEqual(['org-1'])
    r.m3ter.faults.release()
    expect(decodeJwtClaims(await waiting)?.orgId).toBe('org-0')
    await r.clock.advance(0)
    expect(member.snapshot().status).toBe('closed')
  })

  it('a member evicted while a request holds it forwards to its organisation’s current member, never `closed`', async () => {
    const r = await poolRig(2)
    const pool = r.pool({ maxProviders: 1 })
    // As an adapter does: the member is picked when the request starts and asked again to retry a 403.
    const held = (await pool.for('org-0')) as TokenProvider
    const first = await held.getToken()
    await pool.for('org-1') // past maxProviders: org-0's member is evicted and closed
    expect(held.snapshot().status).toBe('closed')
    // The request's 403 drops its token; no member of org-0 exists yet to drop it from.
    expect(held.invalidate(first)).toBe(false)
    const again = await held.getToken()
    expect(decodeJwtClaims(again)?.orgId).toBe('org-0')
    expect(again).not.toBe(first)
    expect(await held.authorize(`${r.m3ter.apiUrl}/organizations/org-0/meters`)).toBe(`Bearer ${again}`)
    // org-0 has a member again (made for the retry), and the evicted one drops that member's token.
    const current = (await pool.for('org-0')) as TokenProvider
    expect(current).not.toBe(held)
    expect(held.invalidate(again)).toBe(true)
    expect(current.snapshot().status).toBe('empty')
    await pool.close()
    await expect(held.getToken()).rejects.toMatchObject({ code: 'closed' })
  })

  it('a burst to more organisations than maxProviders: every request gets its token; the next new one evicts', async () => {
    const r = await poolRig(4)
    const pool = r.pool({ maxProviders: 2 })
    // As the adapters do: each request picks its member, then (a microtask later) asks it for a token. The
    // third organisation's member evicts the first before it was asked.
    const members = await Promise.all(['org-0', 'org-1', 'org-2'].map((orgId) => pool.for(orgId)))
    const tokens = await Promise.all(members.map((member) => member?.getToken()))
    expect(tokens.map((token) => decodeJwtClaims(token ?? '')?.orgId)).toEqual(['org-0', 'org-1', 'org-2'])
    // org-0's was made again for its request, without evicting a member another request may hold.
    expect(pool.snapshot().size).toBe(3)
    await pool.for('org-3')
    expect(pool.snapshot().size).toBe(2)
    expect(Object.keys(pool.snapshot().organizations)).toEqual(['org-0', 'org-3'])
  })

  it('an evicted member’s retry does not take the token it saw refused from a shared store', async () => {
    const r = await poolRig(2)
    const store = createMemoryStore()
    const pool = r.pool({ maxProviders: 1, store })
    const held = (await pool.for('org-0')) as TokenProvider
    const refused = await held.getToken()
    await pool.for('org-1')
    r.m3ter.revokeAll()
    // The store still holds org-0's refused token: the member made for the retry finds it there.
    expect(held.invalidate(refused)).toBe(false)
    const again = await held.getToken()
    expect(again).not.toBe(refused)
    expect(decodeJwtClaims(again)?.orgId).toBe('org-0')
  })

  it('requests that saw the same token refused, retrying together through an evicted member, all get a new one', async () => {
    const r = await poolRig(2)
    const pool = r.pool({ maxProviders: 1, store: createMemoryStore() })
    const held = (await pool.for('org-0')) as TokenProvider
    const refused = await held.getToken()
    await pool.for('org-1')
    r.m3ter.revokeAll()
    // Three requests answered 403 together; each drops the token and retries.
    for (let i = 0; i < 3; i++) expect(held.invalidate(refused)).toBe(false)
    const retried = await Promise.all([held.getToken(), held.getToken(), held.getToken()])
    expect(retried.filter((token) => token === refused)).toEqual([])
    expect(new Set(retried).size).toBe(1)
  })

  it('routes a request by the organisation in its path; the token endpoint, Basic and other origins pass', async () => {
    const r = await poolRig(1)
    const pool = r.pool()
    const member = await providerFor(pool, `${r.m3ter.apiUrl}/organizations/org-0/meters?pageSize=1`)
    expect(member).toBe(await pool.for('org-0'))
    expect(await providerFor(pool, `${r.m3ter.ingestUrl}/organizations/org-0/measurements`)).toBe(member)
    expect(providerFor(pool, r.m3ter.tokenUrl)).toBeUndefined()
    expect(providerFor(pool, `${r.m3ter.apiUrl}/organizations/org-0/meters`, 'Basic abc')).toBeUndefined()
    expect(providerFor(pool, 'https://example.com/organizations/org-0/meters')).toBeUndefined()
    expect(r.events.filter((e) => e.type === 'request_unrouted')).toEqual([])
    expect(providerFor(pool, `${r.m3ter.apiUrl}/status?secret=1`)).toBeUndefined()
    expect(await providerFor(pool, `${r.m3ter.apiUrl}/organizations/other/meters?q=1`)).toBeUndefined()
    expect(r.events.filter((e) => e.type === 'request_unrouted')).toMatchObject([
      { reason: 'no_organisation', url: `${r.m3ter.apiUrl}/status` },
      { reason: 'unknown_organisation', orgId: 'other', url: `${r.m3ter.apiUrl}/organizations/other/meters` },
    ])
  })

  it('checks its options where they are given', () => {
    expect(() => createTokenPool({} as TokenPoolOptions)).toThrow(/credentialsFor/)
    expect(() => createTokenPool({ credentialsFor: () => undefined, maxProviders: 0 })).toThrow(
      /maxProviders/,
    )
    expect(() => createTokenPool({ credentialsFor: () => undefined, idleMs: 2 ** 31 })).toThrow(/idleMs/)
    expect(() =>
      createTokenPool({ credentialsFor: () => undefined, tokenUrl: 'http://api.example/t' }),
    ).toThrow()
  })

  it('close() closes every member; later calls fail', async () => {
    const r = await poolRig(1)
    const pool = r.pool()
    const member = await pool.for('org-0')
    await pool.close()
    expect(member?.snapshot().status).toBe('closed')
    await expect(pool.for('org-0')).rejects.toMatchObject({ code: 'closed' })
  })
})

describe('createTokenPool: a slow credentials lookup', () => {
  it('a member whose lookup finished last is the most recently used, not the one evicted', async () => {
    const r = await poolRig(3)
    let release: () => void = () => undefined
    const slow = new Promise<void>((resolve) => {
      release = resolve
    })
    const pool = r.pool({
      maxProviders: 2,
      credentialsFor: async (orgId) => {
        if (orgId === 'org-0') await slow
        return r.keyOf.get(orgId)
      },
    })
    const first = pool.for('org-0')
    await pool.for('org-1')
    await pool.for('org-2')
    release()
    const member = await first
    expect(await member?.getToken()).toBeTruthy()
    expect(Object.keys(pool.snapshot().organizations)).toEqual(['org-2', 'org-0'])
  })
})
