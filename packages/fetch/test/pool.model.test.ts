import { createMemoryStore, createTokenPool, type TokenPool, type TokenPoolEvent } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { createManualClock, decodeJwtClaims, type MockM3ter, startMockM3ter } from '@m3ter-auth/testkit'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Model-based test of a token pool in use (createTokenPool, DESIGN §3; contract §4.5 with a pool): fast-check
// drives sequences of calls to four organisations through a pool of two members (so members are evicted for
// capacity all the time), forbidden routes, revocations of one organisation's tokens, hours of manual clock
// (idle eviction, refresh ahead, expiry) and a request held at the API while its member is evicted and its
// token revoked. Everything is real: the pool, @m3ter-auth/fetch, Node's fetch and the testkit's mock m3ter on
// loopback. A failing run prints fast-check's seed, path and shrunk command list: pass them back as
// { seed, path } to replay it. POOL_MODEL_RUNS=N runs N sequences (default 200); POOL_MODEL_TRACE=1 prints each
// command as it starts (a sequence that hangs shows where); POOL_MODEL_SEED (with the same POOL_MODEL_RUNS)
// generates the same sequences again. Interleavings over real sockets differ from run to run, so a shrunk
// POOL_MODEL_PATH may not replay: turn a counterexample into a deterministic test (as token-pool.test.ts's
// "retrying together through an evicted member" came from one).
//
// After every command:
//  1. Liveness: a call to a route the key may use ends 200, whatever came before (after a revocation it is
//     retried once with a new token, even when its member was evicted while the call was in flight).
//  2. Isolation: every API request that carried a bearer carried its own organisation's.
//  3. Cost: an organisation's token requests stay within what its new members, revocations, clock moves
//     and forbidden routes can explain (a storm of token requests breaks it).

const ORGS = ['org-a', 'org-b', 'org-c', 'org-d'] as const
type Org = (typeof ORGS)[number]
// Fewer members than organisations: members are evicted all the time, some while their requests are in
// flight. (The pool may hold more for a while: see maxProviders in core's token-pool.ts.)
const MAX_PROVIDERS = 2
const FIVE_HOURS = 5 * 60 * 60 * 1000
type Route = 'meters' | 'submit' | 'forbidden'

interface Model {
  /** Clock moves so far, and the time they covered. */
  advances: number
  elapsed: number
  readonly revocations: Map<Org, number>
}

interface Real {
  readonly m3ter: MockM3ter
  readonly pool: TokenPool
  readonly m3terFetch: typeof fetch
  readonly events: TokenPoolEvent[]
  readonly advance: (ms: number) => Promise<void>
  /** Log entries already checked for isolation. */
  checked: number
}

let m3ter: MockM3ter
const clock = createManualClock()

beforeAll(async () => {
  m3ter = await startMockM3ter({
    clock,
    orgId: 'org-a',
    organizations: ORGS.slice(1).map((orgId) => ({ orgId })),
    // A route none of the keys may use: m3ter answers 403 although the token is good.
    deny: ['GET /organizations/*/accounts'],
  })
})
afterAll(async () => {
  await m3ter?.close()
})

// The mock's own organisation is org-a; the others are its `organizations`.
function keyOf(org: string) {
  if (org === m3ter.orgId) return m3ter.keys[0]
  return m3ter.organizations.find((organization) => organization.orgId === org)?.keys[0]
}

function urlOf(org: Org, route: Route): { url: string; init: RequestInit } {
  if (route === 'submit') {
    const body = JSON.stringify({
      measurements: [{ uid: 'u-1', meter: 'm', account: 'a', ts: '2026-01-01T00:00:00Z' }],
    })
    return {
      url: `${m3ter.ingestUrl}/organizations/${org}/measurements`,
      init: { method: 'POST', body, headers: { 'content-type': 'application/json' } },
    }
  }
  const path = route === 'forbidden' ? 'accounts' : 'meters?pageSize=1'
  return { url: `${m3ter.apiUrl}/organizations/${org}/${path}`, init: {} }
}

async function call(real: Real, org: Org, route: Route): Promise<void> {
  const { url, init } = urlOf(org, route)
  const response = await real.m3terFetch(url, init)
  await response.arrayBuffer()
  expect(response.status, `${route} of ${org}`).toBe(route === 'forbidden' ? 403 : 200)
}

function revokeTokensOf(org: Org): void {
  for (const token of m3ter.issuedTokens) if (decodeJwtClaims(token)?.orgId === org) m3ter.revoke(token)
}

const realTick = () => new Promise<void>((resolve) => setTimeout(resolve, 1))

function checkInvariants(model: Model, real: Real): void {
  const log = m3ter.log
  for (const entry of log.slice(real.checked)) {
    if (entry.origin === 'token') continue
    const bearer = /^Bearer (\S+)$/.exec(entry.headers.authorization ?? '')?.[1]
    const pathOrg = /^\/organizations\/([^/?]+)/.exec(entry.url)?.[1]
    expect(bearer, `${entry.method} ${entry.url} carried no bearer`).toBeDefined()
    expect(decodeJwtClaims(bearer ?? '')?.orgId, `${entry.method} ${entry.url}`).toBe(pathOrg)
  }
  real.checked = log.length
  for (const org of ORGS) {
    const spent = m3ter.stats.tokenRequestsByKey[keyOf(org)?.accessKeyId ?? ''] ?? 0
    const added = real.events.filter((e) => e.type === 'pool_member_added' && e.orgId === org).length
    // Each new member: its first token, plus one the first time it meets the forbidden route. Each
    // revocation: one. Each clock move: one refresh or expiry. The forbidden route's hold-off: 3 per 5 hours.
    const budget =
      2 * added +
      (model.revocations.get(org) ?? 0) +
      model.advances +
      3 * (1 + Math.floor(model.elapsed / FIVE_HOURS))
    expect(spent, `token requests of ${org}`).toBeLessThanOrEqual(budget)
  }
}

type PoolCommand = fc.AsyncCommand<Model, Real>

const command = (name: string, run: (model: Model, real: Real) => Promise<void>): PoolCommand => ({
  check: () => true,
  async run(model, real) {
    if (process.env.POOL_MODEL_TRACE) console.error('CMD', name)
    await run(model, real)
    checkInvariants(model, real)
  },
  toString: () => name,
})

const org = fc.constantFrom(...ORGS)
const route = fc.constantFrom<Route>('meters', 'meters', 'submit', 'forbidden')

const commands = [
  fc.tuple(org, route).map(([o, r]) => command(`call(${o}, ${r})`, (_model, real) => call(real, o, r))),
  fc.array(fc.tuple(org, route), { minLength: 2, maxLength: 6 }).map((calls) =>
    command(`together(${calls.map(([o, r]) => `${o} ${r}`).join(', ')})`, async (_model, real) => {
      await Promise.all(calls.map(([o, r]) => call(real, o, r)))
    }),
  ),
  org.map((o) =>
    command(`revoke(${o})`, async (model) => {
      revokeTokensOf(o)
      model.revocations.set(o, (model.revocations.get(o) ?? 0) + 1)
    }),
  ),
  fc.constantFrom(60_000, 31 * 60_000, 4.5 * 60 * 60_000, 6 * 60 * 60_000).map((ms) =>
    command(`advance(${ms / 60_000} min)`, async (model, real) => {
      model.advances++
      model.elapsed += ms
      await real.advance(ms)
    }),
  ),
  fc.tuple(org, fc.boolean()).map(([o, revoke]) =>
    command(`heldWhileEvicted(${o}, revoke: ${revoke})`, async (model, real) => {
      m3ter.faults.inject('api', { kind: 'hold' }, { times: 1 })
      const held = call(real, o, 'meters')
      while (m3ter.faults.held() < 1) await realTick()
      // Every other organisation is used: the held call's member is evicted for capacity.
      for (const other of ORGS) if (other !== o) await call(real, other, 'meters')
      if (revoke) {
        revokeTokensOf(o)
        model.revocations.set(o, (model.revocations.get(o) ?? 0) + 1)
      }
      m3ter.faults.release()
      await held
    }),
  ),
]

describe('a token pool through @m3ter-auth/fetch, driven by sequences (model-based)', () => {
  it('every allowed call ends 200, with its own organisation’s token, at a bounded cost', async () => {
    await fc.assert(
      // Half the runs share a store between members (an evicted member's successor reads its token there);
      // half look the Service Users up asynchronously, as a secret manager answers.
      fc.asyncProperty(
        fc.commands(commands, { maxCommands: 30, size: 'medium' }),
        fc.boolean(),
        fc.boolean(),
        async (cmds, shared, slowLookup) => {
          if (process.env.POOL_MODEL_TRACE) console.error('CMD RUN')
          m3ter.reset()
          const events: TokenPoolEvent[] = []
          const pool = createTokenPool({
            credentialsFor: (orgId) => (slowLookup ? Promise.resolve(keyOf(orgId)) : keyOf(orgId)),
            ...(shared && { store: createMemoryStore() }),
            tokenUrl: m3ter.tokenUrl,
            scope: [m3ter.apiUrl, m3ter.ingestUrl],
            clock,
            random: () => 0.5,
            maxProviders: MAX_PROVIDERS,
            idleMs: 30 * 60_000,
            onEvent: (event) => events.push(event),
          })
          const real: Real = {
            m3ter,
            pool,
            m3terFetch: withM3terAuth(pool, fetch),
            events,
            advance: (ms) => clock.advance(ms),
            checked: 0,
          }
          const model: Model = { advances: 0, elapsed: 0, revocations: new Map() }
          try {
            await fc.asyncModelRun(() => ({ model, real }), cmds)
          } finally {
            m3ter.faults.release()
            await pool.close()
          }
        },
      ),
      {
        numRuns: Number(process.env.POOL_MODEL_RUNS ?? 200),
        verbose: 1,
        ...(process.env.POOL_MODEL_SEED && { seed: Number(process.env.POOL_MODEL_SEED) }),
        ...(process.env.POOL_MODEL_PATH && { path: process.env.POOL_MODEL_PATH }),
      },
    )
  }, 240_000)
})
