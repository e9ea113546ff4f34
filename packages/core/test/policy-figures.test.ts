import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'
import { afterEach, expect, it } from 'vitest'
import type { TokenProvider } from '../src/provider.ts'
import { createTokenProvider } from '../src/provider.ts'
import { bearerHeader, judgeAnswer } from '../src/request-policy.ts'

// The §4.5 figures of issue 23, end to end: the real provider, the real request policy, a mock m3ter on
// loopback, one call a second on the manual clock. Each test prints its figure (the report quotes them) and
// asserts the bound of docs/contract.md §4.5.

interface Rig {
  readonly clock: ReturnType<typeof createManualClock>
  readonly m3ter: Awaited<ReturnType<typeof startMockM3ter>>
  readonly auth: TokenProvider
  api(path: string): string
  readonly ingest: string
  call(url: string, init?: { method?: string; body?: string }): Promise<number>
  close(): Promise<void>
}
const open: Rig[] = []
afterEach(async () => {
  for (const r of open.splice(0)) await r.close()
})

async function rig(deny: string[] = []): Promise<Rig> {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock, deny })
  const auth = createTokenProvider({
    credentials: m3ter.keys[0]!,
    tokenUrl: m3ter.tokenUrl,
    scope: [m3ter.apiUrl, m3ter.ingestUrl],
    clock,
    random: () => 0.5,
  })
  const org = `/organizations/${m3ter.orgId}`
  const r: Rig = {
    clock,
    m3ter,
    auth,
    api: (path: string) => `${m3ter.apiUrl}${org}${path}`,
    ingest: `${m3ter.ingestUrl}${org}/measurements`,
    /** One call as an adapter makes it, then one second of manual clock. */
    async call(url: string, init: { method?: string; body?: string } = {}): Promise<number> {
      const status = await send(auth, url, init.method ?? 'GET', init.body)
      await clock.advance(1000)
      return status
    },
    close: async () => {
      await auth.close()
      await m3ter.close()
    },
  }
  open.push(r)
  return r
}

/** Send, judge, and send once more when the policy says so: what every adapter does. */
async function send(auth: TokenProvider, url: string, method: string, body?: string): Promise<number> {
  let token = await auth.getToken()
  const once = async () => {
    const res = await fetch(url, {
      method,
      headers: { authorization: bearerHeader(token), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
    })
    await res.arrayBuffer()
    return res.status
  }
  let status = await once()
  for (const retried of [false, true]) {
    if (judgeAnswer(auth, { method, url, status, token, answeredFrom: 'asked', body, retried }) !== 'retry')
      break
    token = await auth.getToken()
    status = await once()
  }
  return status
}

const measurement = JSON.stringify({
  measurements: [{ uid: 'u', meter: 'calls', account: 'acme', ts: '2026-01-01T00:00:00Z' }],
})

it('forbidden call, then a revocation, then usage submits: no submit fails', async () => {
  for (const warm of [false, true]) {
    const r = await rig(['GET /organizations/{orgId}/accounts'])
    if (warm) expect(await r.call(r.api('/meters'))).toBe(200)
    expect(await r.call(r.api('/accounts'))).toBe(403)
    r.m3ter.revokeAll()
    const submits = []
    for (let i = 0; i < 4; i++) submits.push(await r.call(r.ingest, { method: 'POST', body: measurement }))
    console.log(
      `forbidden -> revoke -> 4 submits (${warm ? 'after a good call' : 'fresh provider'}): ${submits}`,
    )
    expect(submits).toEqual([200, 200, 200, 200])
  }
})

it('300 calls answered 401 by a proxy: a handful of token requests, not one per call', async () => {
  const r = await rig()
  expect(await r.call(r.api('/meters'))).toBe(200)
  r.m3ter.faults.inject('api', { kind: 'status', status: 401 }, { times: Number.POSITIVE_INFINITY })
  const before = r.m3ter.stats.tokenRequests
  for (let i = 0; i < 300; i++) expect(await r.call(r.api('/meters'))).toBe(401)
  const spent = r.m3ter.stats.tokenRequests - before
  console.log(`300 x 401 (one a second): ${spent} token requests`)
  expect(spent).toBeLessThanOrEqual(3)
})

it('a route whose 403 comes and goes, 600 calls: a few token requests', async () => {
  const r = await rig()
  let allow: (() => void) | undefined
  const before = r.m3ter.stats.tokenRequests
  for (let i = 0; i < 600; i++) {
    // Every other call the key may not use the route; the call and its retry see the same permission.
    if (i % 2 === 1) allow = r.m3ter.permissions.deny('GET /organizations/{orgId}/meters')
    expect(await r.call(r.api('/meters'))).toBe(i % 2 === 1 ? 403 : 200)
    allow?.()
    allow = undefined
  }
  const spent = r.m3ter.stats.tokenRequests - before
  console.log(`flapping 403, 600 calls: ${spent} token requests`)
  // The first token, and at most three that did not help (600 s is inside one lifetime).
  expect(spent).toBeLessThanOrEqual(4)
})

it('300 routes that each worked once, then 403: a few token requests', async () => {
  const r = await rig()
  const routes = [
    ...r.m3ter.meters.slice(0, 200).map((m) => `/meters/${m.id}`),
    ...r.m3ter.accounts.slice(0, 100).map((a) => `/accounts/${a.id}`),
  ]
  expect(routes).toHaveLength(300)
  for (const route of routes) expect(await r.call(r.api(route))).toBe(200)
  r.m3ter.permissions.deny('GET /organizations/{orgId}/meters/*')
  r.m3ter.permissions.deny('GET /organizations/{orgId}/accounts/*')
  const before = r.m3ter.stats.tokenRequests
  for (const route of routes) expect(await r.call(r.api(route))).toBe(403)
  const spent = r.m3ter.stats.tokenRequests - before
  console.log(`300 routes worked once, then 403: ${spent} token requests`)
  // Two routes as the policy counts them (m3ter grants per resource: meters, accounts): at most 3 new tokens
  // that did not help in 5 hours, plus the first refusal of each route, which is never held (it may be a
  // revocation): 3 + 1 here, since the meters route's first refusal is one of the 3.
  expect(spent).toBeLessThanOrEqual(4)
  // And a revocation after all that is still recovered at once on any route that has not refused a new
  // token (not on GET .../meters, held now: the same resource as GET .../meters/{id}).
  r.m3ter.revokeAll()
  expect(await r.call(r.ingest, { method: 'POST', body: measurement })).toBe(200)
})
