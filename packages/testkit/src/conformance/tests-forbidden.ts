import type { SuiteContext } from './context.ts'
import { listMeters } from './context.ts'
import type { DriverRequest } from './driver.ts'
import type { Harness } from './harness.ts'

/** The token lifetime of these tests (the mock's): one lifetime of traffic at one request a second. */
const LIFETIME_S = 900
/** Thousands of loopback requests: generous on a busy machine. */
const LONG_MS = 180_000

/** A route this Service User may not use: m3ter answers 403 whatever the token. */
const DENIED = 'GET /organizations/{orgId}/accounts'
const forbidden = (h: Harness): DriverRequest => ({ method: 'GET', url: h.api('/accounts') })

/** One measurement, as usage submits send it. */
const MEASUREMENT = { uid: 'u', meter: 'calls', account: 'acme', ts: '2026-01-01T00:00:00Z' }

/** One request, and the API requests and token requests it cost. */
async function costOf(h: Harness, req: DriverRequest) {
  const api = h.apiLog().length
  const tokens = h.m3ter.stats.tokenRequests
  const res = await h.send(req)
  return { status: res.status, api: h.apiLog().length - api, tokens: h.m3ter.stats.tokenRequests - tokens }
}

/**
 * §4.5 for 403s that are not about the token: a route the key may not use, an unknown organisation, a body
 * too large. They cost almost nothing, while a real revocation is still recovered at once.
 */
export function forbiddenTests({ test, harness, expect }: SuiteContext): void {
  test(
    '4.5',
    'mixed traffic over one lifetime, every tenth call forbidden: a few token requests',
    async () => {
      const h = await harness({ mock: { tokenLifetimeSeconds: LIFETIME_S, deny: [DENIED] } })
      const forbiddenCosts: number[] = []
      for (let second = 1; second <= LIFETIME_S; second++) {
        const cost = await costOf(h, second % 10 === 0 ? forbidden(h) : listMeters(h))
        if (second % 10 === 0) {
          expect(cost.status).toBe(403)
          forbiddenCosts.push(cost.api)
        } else {
          expect(cost.status).toBe(200)
          expect(cost.api).toBe(1)
        }
        await h.clock.advance(1000)
      }
      // One first token, one lifetime refresh, at most three more for the forbidden route.
      expect(h.m3ter.stats.tokenRequests).toBeLessThanOrEqual(5)
      expect(Math.max(...forbiddenCosts)).toBeLessThanOrEqual(2)
      expect(forbiddenCosts.filter((cost) => cost === 2).length).toBeLessThanOrEqual(3)
      expect(forbiddenCosts.at(-1)).toBe(1)
    },
    LONG_MS,
  )

  test(
    '4.5',
    'a revocation amid forbidden calls: 20 concurrent requests, one refresh, 20 × 200',
    async () => {
      const h = await harness({ mock: { deny: [DENIED] } })
      for (let i = 1; i <= 30; i++) {
        await h.send(i % 10 === 0 ? forbidden(h) : listMeters(h))
        await h.clock.advance(1000)
      }
      const before = h.m3ter.stats.tokenRequests
      h.m3ter.revokeAll()
      const answers = await h.settle(
        Promise.all(Array.from({ length: 20 }, () => h.driver.request(listMeters(h)))),
      )
      expect(answers.map((res) => res.status)).toEqual(Array(20).fill(200))
      expect(h.m3ter.stats.tokenRequests - before).toBe(1)
    },
  )

  test(
    '4.5',
    "an unknown organisation (every route 403): one refresh at each resource's first 403, then 2 token requests a lifetime",
    async () => {
      const h = await harness({ mock: { tokenLifetimeSeconds: LIFETIME_S } })
      const unknown = `${h.m3ter.apiUrl}/organizations/not-${h.m3ter.orgId}`
      const routes = ['/meters', '/accounts', '/meters/m-1', '/echo']
      const perLifetime: number[] = []
      for (let second = 1; second <= 2 * LIFETIME_S; second++) {
        const cost = await costOf(h, { method: 'GET', url: `${unknown}${routes[second % routes.length]}` })
        expect(cost.status).toBe(403)
        expect(cost.api).toBeLessThanOrEqual(2)
        if (second % LIFETIME_S === 0)
          perLifetime.push(h.m3ter.stats.tokenRequests - (perLifetime.at(-1) ?? 0))
        await h.clock.advance(1000)
      }
      // The first lifetime: the first token, one new token at the first 403 of each resource (meters,
      // accounts, echo: a route's first 403 may be a revocation, so it is never held), which spends the 3
      // allowed in 5 hours, and the regular refresh. Every later lifetime (inside those 5 hours): at most two.
      expect(perLifetime[0]).toBeLessThanOrEqual(5)
      expect(perLifetime[1]).toBeLessThanOrEqual(2)
    },
    LONG_MS,
  )

  test(
    '4.5',
    'a forbidden call, then a revocation, then usage submits: every submit succeeds, one new token',
    async () => {
      // The sequence of issue 23 on a fresh provider: the forbidden route refuses a new token too, which
      // must not hold off the refresh that the revocation needs on another route.
      const h = await harness({ mock: { deny: [DENIED] } })
      expect((await h.send(forbidden(h))).status).toBe(403)
      expect(h.m3ter.stats.tokenRequests).toBe(2)
      h.m3ter.revokeAll()
      const text = JSON.stringify({ measurements: [MEASUREMENT] })
      const submit: DriverRequest = {
        method: 'POST',
        url: h.ingest('/measurements'),
        body: { kind: 'text', text, contentType: 'application/json' },
      }
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push((await h.send(submit)).status)
      expect(statuses).toEqual([200, 200, 200, 200])
      expect(h.m3ter.stats.tokenRequests).toBe(3)
      expect((await h.send(listMeters(h))).status).toBe(200)
      expect(h.m3ter.stats.tokenRequests).toBe(3)
    },
  )

  test('4.5', 'a route that refused a new token is held: its next 403s cost no refresh', async () => {
    const h = await harness({ mock: { deny: [DENIED] } })
    expect((await h.send(listMeters(h))).status).toBe(200)
    const costs = []
    for (let i = 0; i < 5; i++) costs.push(await costOf(h, forbidden(h)))
    expect(costs.map((cost) => cost.api)).toEqual([2, 1, 1, 1, 1])
    expect(h.m3ter.stats.tokenRequests).toBe(2)
    // Routes that have not refused a new token still recover a revocation at once.
    h.m3ter.revokeAll()
    expect(await costOf(h, listMeters(h))).toEqual({ status: 200, api: 2, tokens: 1 })
  })

  test('4.5', 'an ingest body of 512,000 bytes or more answered 403 is never sent twice', async () => {
    const h = await harness()
    const measurement = MEASUREMENT
    const small = JSON.stringify({ measurements: [measurement] })
    const url = h.ingest('/measurements')
    const json = (text: string): DriverRequest => ({
      method: 'POST',
      url,
      body: { kind: 'text', text, contentType: 'application/json' },
    })
    expect((await h.send(json(small))).status).toBe(200)
    const big = JSON.stringify({ measurements: [{ ...measurement, who: { pad: 'x'.repeat(512_000) } }] })
    // m3ter refuses such a body with 403 whatever the token: even on a route that worked, it goes out
    // once, the caller gets m3ter's answer, and the token is kept.
    const res = await h.send(json(big))
    expect(res.status).toBe(403)
    expect(h.m3ter.stats.oversizeBodies).toBe(1)
    const posts = h.apiLog().filter((entry) => entry.origin === 'ingest')
    expect(posts).toHaveLength(2)
    expect(h.m3ter.stats.tokenRequests).toBe(1)
    // And when the token was revoked meanwhile: still sent once (the next small call recovers).
    h.m3ter.revokeAll()
    expect((await h.send(json(big))).status).toBe(403)
    expect(h.apiLog().filter((entry) => entry.origin === 'ingest')).toHaveLength(3)
    expect((await h.send(json(small))).status).toBe(200)
    expect(h.m3ter.stats.tokenRequests).toBe(2)
  })
}
