import { createManualClock, type MockM3ter, startMockM3ter } from '@m3ter-auth/testkit'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { until } from '../test/harness.ts'
import { runs } from '../test/runs.ts'
import type { M3terAuthEvent } from './events.ts'
import { createTokenProvider, type TokenProvider } from './provider.ts'
import { judgeAnswer, MAX_BODY_BYTES } from './request-policy.ts'

// Model-based test of the request policy (docs/contract.md §4.5, issue 23): fast-check drives sequences of
// calls (alone, or several together), revocations, permission flaps, a proxy answering 401, ingest bodies of
// 512,000 bytes and hours of manual clock through the REAL
// provider and its REAL token endpoint exchange (the testkit's mock m3ter on loopback), and calls
// judgeAnswer exactly as an adapter does: send, judge, send once more when told 'retry'.
//
// The API's answers are decided in-process by a model of m3ter (World below) instead of the mock's API
// origin: a thousand runs of up to 30 commands each would be tens of thousands of loopback requests, too
// slow for CI, while the token requests (the cost under test) still go over HTTP to the mock. A failing run
// prints fast-check's seed, path and shrunk command list: pass them back as { seed, path } to replay it.
//
// After every command both invariants of the issue are checked:
//  1. Liveness: a call the API would take with a valid token (a good route, no proxy in the way, a body under
//     512,000 bytes) ends 2xx, whatever came before; when its first answer was a 403 it was retried once, with
//     a new token.
//  2. Cost: in any 5 hours, for each status, the tokens dropped for a 401/403 that a new token did not cure
//     are at most 3, plus one for each route the world refused (whatever the token) for the first time in
//     that window; tokens dropped that did cure the call are at most one per revocation.

const FIVE_HOURS = 5 * 60 * 60 * 1000
const ORG = 'org-model'
const API = `https://api.m3ter.com/organizations/${ORG}`

type Route = 'meters' | 'meter' | 'submit' | 'bigSubmit' | 'forbidden' | 'unknownOrg' | 'flap'
const GOOD: ReadonlySet<Route> = new Set(['meters', 'meter', 'submit'])
const REQUESTS: Record<Route, { method: string; url: string; body?: string }> = {
  meters: { method: 'GET', url: `${API}/meters?pageSize=10` },
  meter: { method: 'GET', url: `${API}/meters/m-1` },
  submit: { method: 'POST', url: `https://ingest.m3ter.com/organizations/${ORG}/measurements`, body: '{}' },
  bigSubmit: {
    method: 'POST',
    url: `https://ingest.m3ter.com/organizations/${ORG}/measurements`,
    body: 'x'.repeat(MAX_BODY_BYTES),
  },
  forbidden: { method: 'GET', url: `${API}/accounts` },
  unknownOrg: { method: 'GET', url: 'https://api.m3ter.com/organizations/not-ours/meters' },
  flap: { method: 'GET', url: `${API}/plans` },
}

/** What m3ter (and a proxy in front of it) is doing now, and what the policy has cost so far. */
interface World {
  proxy401: boolean
  flapForbidden: boolean
  /** Every token the provider received, when it expires. */
  readonly issued: Map<string, number>
  readonly revoked: Set<string>
  revocations: number
  /** `${status} ${route}` -> when the world first refused that route with that status whatever the token. */
  readonly firstRefusal: Map<string, number>
  readonly drops: Array<{ at: number; status: number; cured: boolean }>
}

interface Real {
  readonly auth: TokenProvider
  readonly events: M3terAuthEvent[]
  idle(): Promise<void>
}

let m3ter: MockM3ter
const clock = createManualClock()
beforeAll(async () => {
  m3ter = await startMockM3ter({ clock })
})
afterAll(async () => {
  await m3ter.close()
})

/** m3ter's answer: a proxy's 401 first, then the bearer (403), the organisation, the route, the size. */
function answerOf(world: World, route: Route, token: string): { status: number; notToken: boolean } {
  if (world.proxy401) return { status: 401, notToken: true }
  const expiresAt = world.issued.get(token)
  if (expiresAt === undefined || world.revoked.has(token) || clock.now() >= expiresAt)
    return { status: 403, notToken: false }
  const refused =
    route === 'unknownOrg' ||
    route === 'forbidden' ||
    route === 'bigSubmit' ||
    (route === 'flap' && world.flapForbidden)
  return refused ? { status: 403, notToken: true } : { status: 200, notToken: false }
}

/** One call's trace: the tokens it carried and the statuses it got, first answer first. */
interface Trace {
  readonly route: Route
  readonly tokens: string[]
  readonly statuses: number[]
  verdict?: string
}

/**
 * Calls made together, as an adapter makes them: each takes the current token, all answers arrive, each is
 * judged; those told 'retry' take the token again and are sent once more, and judged as retries. One call
 * is a burst of one.
 */
class Calls implements fc.AsyncCommand<World, Real> {
  constructor(readonly routes: readonly Route[]) {}
  check = () => true
  async run(world: World, real: Real): Promise<void> {
    const first = await Promise.all(this.routes.map(() => real.auth.getToken()))
    const traces: Trace[] = this.routes.map((route, i) => {
      const token = first[i] as string
      return { route, tokens: [token], statuses: [send(world, route, token)] }
    })
    const invalidations = () => real.events.filter((e) => e.type === 'token_invalidated').length
    const dropsBefore = world.drops.length
    for (const trace of traces) {
      const before = invalidations()
      trace.verdict = judge(real, trace, false)
      // judgeAnswer is synchronous: an invalidation seen around it is this call's drop.
      if (invalidations() > before)
        world.drops.push({ at: clock.now(), status: trace.statuses[0] as number, cured: false })
    }
    const again = traces.filter((trace) => trace.verdict === 'retry')
    const retryTokens = await Promise.all(again.map(() => real.auth.getToken()))
    again.forEach((trace, i) => {
      trace.tokens.push(retryTokens[i] as string)
      trace.statuses.push(send(world, trace.route, retryTokens[i] as string))
      judge(real, trace, true)
    })
    // The new token helped if any retry with it was taken: the drop (if any) cured a revocation.
    const drop = world.drops.length > dropsBefore ? world.drops.at(-1) : undefined
    if (drop && again.some((trace) => trace.statuses[1] === 200)) drop.cured = true
    await real.idle()
    for (const trace of traces) checkLiveness(world, trace)
    checkCost(world)
  }
  toString = () => (this.routes.length === 1 ? `call(${this.routes[0]})` : `burst(${this.routes.join(',')})`)
}

/** A single call. */
class Call extends Calls {
  constructor(route: Route) {
    super([route])
  }
}

function send(world: World, route: Route, token: string): number {
  const { status, notToken } = answerOf(world, route, token)
  const key = `${status} ${route}`
  if (notToken && !world.firstRefusal.has(key)) world.firstRefusal.set(key, clock.now())
  return status
}

function judge(real: Real, trace: Trace, retried: boolean): string {
  const { method, url, body } = REQUESTS[trace.route]
  const token = trace.tokens.at(-1) as string
  const status = trace.statuses.at(-1) as number
  return judgeAnswer(real.auth, { method, url, status, token, answeredFrom: 'asked', body, retried })
}

function checkLiveness(world: World, { route, tokens, statuses }: Trace): void {
  expect(statuses.length, 'never more than one retry').toBeLessThanOrEqual(2)
  if (route === 'bigSubmit') expect(statuses, 'a body of 512,000 bytes is sent once').toHaveLength(1)
  if (GOOD.has(route) && !world.proxy401) {
    expect(statuses.at(-1), `a good call (${route}) ends 2xx: ${statuses}`).toBe(200)
    if (statuses.length === 2) expect(tokens[1], 'the retry carries a new token').not.toBe(tokens[0])
  }
}

function checkCost(world: World): void {
  const cured = world.drops.filter((d) => d.cured).length
  expect(cured, 'a new token cures at most one call per revocation').toBeLessThanOrEqual(world.revocations)
  for (const status of [401, 403]) {
    const wasted = world.drops.filter((d) => !d.cured && d.status === status)
    for (const last of wasted) {
      const from = last.at - FIVE_HOURS
      const inWindow = wasted.filter((d) => d.at > from && d.at <= last.at).length
      const firsts = [...world.firstRefusal].filter(
        ([key, at]) => key.startsWith(`${status} `) && at > from && at <= last.at,
      ).length
      expect(
        inWindow,
        `${status}s: tokens that did not help in 5 h, beyond ${firsts} first refusals`,
      ).toBeLessThanOrEqual(3 + firsts)
    }
  }
}

class Revoke implements fc.AsyncCommand<World, Real> {
  check = () => true
  async run(world: World): Promise<void> {
    for (const token of world.issued.keys()) world.revoked.add(token)
    world.revocations += 1
  }
  toString = () => 'revoke'
}

class SetProxy implements fc.AsyncCommand<World, Real> {
  constructor(readonly on: boolean) {}
  check = (world: Readonly<World>) => world.proxy401 !== this.on
  async run(world: World): Promise<void> {
    world.proxy401 = this.on
  }
  toString = () => `proxy401(${this.on})`
}

class Flap implements fc.AsyncCommand<World, Real> {
  check = () => true
  async run(world: World): Promise<void> {
    world.flapForbidden = !world.flapForbidden
  }
  toString = () => 'flap'
}

class Advance implements fc.AsyncCommand<World, Real> {
  constructor(readonly ms: number) {}
  check = () => true
  async run(_world: World, real: Real): Promise<void> {
    await clock.advance(this.ms)
    await real.idle()
  }
  toString = () => `advance(${this.ms})`
}

// Weighted so that most runs see a revocation after some refused route, holds that run out (minutes) and
// lifetimes that end (hours).
const commands = [
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .constantFrom<Route>('meters', 'meter', 'submit', 'bigSubmit', 'forbidden', 'unknownOrg', 'flap')
        .map((route) => new Call(route)),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.constantFrom<Route>('meters', 'meter', 'submit', 'forbidden', 'unknownOrg', 'flap'), {
          minLength: 2,
          maxLength: 5,
        })
        .map((routes) => new Calls(routes)),
    },
    { weight: 2, arbitrary: fc.constant(new Revoke()) },
    { weight: 1, arbitrary: fc.boolean().map((on) => new SetProxy(on)) },
    { weight: 1, arbitrary: fc.constant(new Flap()) },
    { weight: 3, arbitrary: fc.integer({ min: 1_000, max: 300_000 }).map((ms) => new Advance(ms)) },
    { weight: 1, arbitrary: fc.integer({ min: 3_600_000, max: 6 * 3_600_000 }).map((ms) => new Advance(ms)) },
  ),
]

/** A fresh provider (and so a fresh policy memory) against the shared mock, reset. */
function setup(): { model: World; real: Real } {
  m3ter.reset()
  const world: World = {
    proxy401: false,
    flapForbidden: false,
    issued: new Map(),
    revoked: new Set(),
    revocations: 0,
    firstRefusal: new Map(),
    drops: [],
  }
  let inFlight = 0
  const events: M3terAuthEvent[] = []
  const auth = createTokenProvider({
    credentials: m3ter.keys[0] as { accessKeyId: string; apiSecret: string },
    tokenUrl: m3ter.tokenUrl,
    scope: ['https://api.m3ter.com', 'https://ingest.m3ter.com'],
    clock,
    random: () => 0.5,
    onEvent: (event) => events.push(event),
    // The real token endpoint over loopback; this only watches which tokens m3ter handed out, and when.
    fetch: async (input, init) => {
      inFlight += 1
      try {
        const res = await fetch(input, init)
        const answer = (await res.clone().json()) as { access_token?: string; expires_in?: number }
        if (answer.access_token)
          world.issued.set(answer.access_token, clock.now() + (answer.expires_in ?? 0) * 1000)
        return res
      } finally {
        inFlight -= 1
      }
    },
  })
  const busy = () => inFlight > 0 || ['fetching', 'refreshing'].includes(auth.snapshot().status)
  const idle = () => until(() => !busy(), 'the provider is idle')
  return { model: world, real: { auth, events, idle } }
}

async function runSequence(sequence: Iterable<fc.AsyncCommand<World, Real>>): Promise<World> {
  const { model, real } = setup()
  try {
    await fc.asyncModelRun(() => ({ model, real }), sequence)
    return model
  } finally {
    await real.auth.close()
  }
}

describe('request policy, model-based (issue 23)', () => {
  it('a forbidden call, a revocation, then submits: every submit succeeds (fixed example)', async () => {
    for (const warm of [false, true]) {
      const world = await runSequence([
        ...(warm ? [new Call('meters')] : []),
        new Call('forbidden'),
        new Revoke(),
        new Call('submit'),
        new Call('submit'),
        new Call('submit'),
        new Call('submit'),
      ])
      // One token that did not help (the forbidden route), one that cured the first submit.
      expect(world.drops.map((d) => d.cured)).toEqual([false, true])
    }
  })

  it('a proxy answering 401 to 300 calls: at most 3 new tokens in 5 hours, not one per call', async () => {
    const world = await runSequence([
      new Call('meters'),
      new SetProxy(true),
      ...Array.from({ length: 300 }, () => [new Call('meters'), new Advance(1_000)]).flat(),
    ])
    expect(world.drops.length).toBeLessThanOrEqual(3)
  })

  it('any sequence: a revocation is recovered at once, and 401/403s cost a bounded number of tokens', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30, size: '+1' }), (sequence) =>
        runSequence(sequence).then(() => {}),
      ),
      { numRuns: runs(1_000), verbose: 1 },
    )
  }, 120_000)
})
