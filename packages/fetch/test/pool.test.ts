import {
  createTokenPool,
  findM3terAuthError,
  type TokenPoolEvent,
  type TokenPoolOptions,
} from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'
import {
  createManualClock,
  decodeJwtClaims,
  type MockAccessKey,
  type MockM3ter,
  type MockM3terOptions,
  startMockM3ter,
} from '@m3ter-auth/testkit'
import { afterEach, describe, expect, it } from 'vitest'

// withM3terAuth given a pool, against one mock m3ter that holds many organisations, each with its own
// Service User: every request carries its own organisation's token, and one organisation's trouble costs
// the others nothing.
let open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  const closing = open.reverse()
  open = []
  for (const item of closing) await item.close()
})

async function rig(
  organizations: number,
  options: Partial<TokenPoolOptions> = {},
  mock: MockM3terOptions = {},
) {
  const clock = createManualClock()
  const orgIds = Array.from({ length: organizations }, (_, i) => `org-${i}`)
  const m3ter = await startMockM3ter({ clock, organizations: orgIds.map((orgId) => ({ orgId })), ...mock })
  open.push(m3ter)
  const keys = new Map<string, MockAccessKey>()
  for (const {
    orgId,
    keys: [key],
  } of m3ter.organizations)
    if (key) keys.set(orgId, key)
  const events: TokenPoolEvent[] = []
  const pool = createTokenPool({
    credentialsFor: (orgId) => keys.get(orgId),
    tokenUrl: m3ter.tokenUrl,
    scope: [m3ter.apiUrl, m3ter.ingestUrl],
    clock,
    random: () => 0.5,
    onEvent: (event) => events.push(event),
    ...options,
  })
  open.push(pool)
  const m3terFetch = withM3terAuth(pool)
  const meters = (orgId: string) => `${m3ter.apiUrl}/organizations/${orgId}/meters?pageSize=1`
  return { m3ter, clock, orgIds, keys, events, pool, m3terFetch, meters }
}

const tokenRequestsOf = (m3ter: MockM3ter, accessKeyId: string) =>
  m3ter.stats.tokenRequestsByKey[accessKeyId] ?? 0

function limited(send: typeof fetch, most: number): typeof fetch {
  let active = 0
  const queue: Array<() => void> = []
  return async (input, init) => {
    if (active >= most) await new Promise<void>((resolve) => queue.push(resolve))
    active++
    try {
      const response = await send(input, init)
      // Read here, inside the limit: the connection is free again when the slot is.
      return new Response(await response.arrayBuffer(), response)
    } finally {
      active--
      queue.shift()?.()
    }
  }
}

function bearerOrg(m3ter: MockM3ter, entryIndex: number): string | undefined {
  const header = m3ter.log[entryIndex]?.headers.authorization ?? ''
  return decodeJwtClaims(header.replace(/^Bearer /, ''))?.orgId
}

describe('withM3terAuth(pool)', () => {
  it('500 organisations × 20 concurrent cold requests: exactly 500 token requests, each its own token', async () => {
    const r = await rig(500)
    // All 10,000 calls are made at once; below the adapter, at most 64 are on the wire together, so that the
    // loopback server's backlog is not what this test measures.
    const m3terFetch = withM3terAuth(r.pool, limited(globalThis.fetch, 64))
    const requests = r.orgIds.flatMap((orgId) =>
      Array.from({ length: 20 }, () => m3terFetch(r.meters(orgId))),
    )
    const statuses = (await Promise.all(requests)).map((res) => res.status)
    expect(statuses.every((status) => status === 200)).toBe(true)
    expect(r.m3ter.stats.tokenRequests).toBe(500)
    expect(r.m3ter.stats.apiRequests).toBe(10_000)
    expect(r.m3ter.stats.bearerRejections).toBe(0)
    for (const orgId of r.orgIds)
      expect(tokenRequestsOf(r.m3ter, r.keys.get(orgId)?.accessKeyId ?? '')).toBe(1)
    console.log(
      `pool + fetch: 500 orgs × 20 concurrent cold requests -> ${r.m3ter.stats.tokenRequests} token requests, ${r.m3ter.stats.apiRequests} × 200`,
    )
  }, 120_000)

  it('a revocation in one organisation costs 1 token request, the others 0', async () => {
    const r = await rig(50)
    for (const orgId of r.orgIds) expect((await r.m3terFetch(r.meters(orgId))).status).toBe(200)
    const before = r.m3ter.stats.tokenRequests
    // m3ter revokes org-7's token only.
    for (const token of r.m3ter.issuedTokens)
      if (decodeJwtClaims(token)?.orgId === 'org-7') r.m3ter.revoke(token)
    const statuses = await Promise.all(
      r.orgIds.map(async (orgId) => (await r.m3terFetch(r.meters(orgId))).status),
    )
    expect(statuses.every((status) => status === 200)).toBe(true)
    expect(r.m3ter.stats.tokenRequests - before).toBe(1)
    expect(tokenRequestsOf(r.m3ter, r.keys.get('org-7')?.accessKeyId ?? '')).toBe(2)
    console.log(
      `pool + fetch: revocation in 1 of 50 orgs -> ${r.m3ter.stats.tokenRequests - before} token request`,
    )
  })

  it('forbidden routes in one organisation never cost another a token request', async () => {
    const r = await rig(10, {}, { deny: ['GET /organizations/{orgId}/accounts'] })
    // The mock's own organisation may not list accounts: m3ter's 403 for a route the key may not use.
    const main = r.m3ter.orgId
    r.keys.set(main, r.m3ter.keys[0] as MockAccessKey)
    for (const orgId of [main, ...r.orgIds]) expect((await r.m3terFetch(r.meters(orgId))).status).toBe(200)
    const others = () =>
      r.orgIds.map((orgId) => tokenRequestsOf(r.m3ter, r.keys.get(orgId)?.accessKeyId ?? ''))
    const before = others()
    const mainBefore = r.m3ter.stats.tokenRequests
    for (let i = 0; i < 50; i++) {
      const forbidden = await r.m3terFetch(`${r.m3ter.apiUrl}/organizations/${main}/accounts`)
      expect(forbidden.status).toBe(403)
      // Interleaved with the other organisations' work.
      expect((await r.m3terFetch(r.meters(r.orgIds[i % 10] as string))).status).toBe(200)
    }
    expect(others()).toEqual(before)
    const spent = r.m3ter.stats.tokenRequests - mainBefore
    expect(spent).toBeLessThanOrEqual(2)
    console.log(
      `pool + fetch: 50 forbidden calls in 1 org -> ${spent} token request(s) there, 0 in the 10 others`,
    )
  })

  it('a wrong secret for one organisation: its calls fail with invalid_credentials, the others are unaffected', async () => {
    const r = await rig(20)
    const good = r.keys.get('org-5')
    r.keys.set('org-5', { accessKeyId: good?.accessKeyId ?? '', apiSecret: 'not-the-secret', active: true })
    const results = await Promise.all(
      r.orgIds.map((orgId) =>
        r.m3terFetch(r.meters(orgId)).then(
          (res) => ({ orgId, status: res.status, code: undefined }),
          (error: unknown) => ({ orgId, status: 0, code: findM3terAuthError(error)?.code }),
        ),
      ),
    )
    expect(
      results.filter((result) => result.orgId !== 'org-5').every((result) => result.status === 200),
    ).toBe(true)
    expect(results.find((result) => result.orgId === 'org-5')).toMatchObject({ code: 'invalid_credentials' })
    // Failing fast afterwards: no hammering of the token endpoint with the bad key.
    await expect(r.m3terFetch(r.meters('org-5'))).rejects.toMatchObject({ code: 'invalid_credentials' })
    expect(tokenRequestsOf(r.m3ter, good?.accessKeyId ?? '')).toBe(1)
    expect(r.events.find((e) => e.type === 'credentials_rejected')).toMatchObject({ orgId: 'org-5' })
  })

  it('a URL in scope without an organisation, or with one the pool does not know, goes out untouched', async () => {
    const r = await rig(1)
    const unknown = await r.m3terFetch(`${r.m3ter.apiUrl}/organizations/someone-else/meters?nextToken=abc`)
    expect(unknown.status).toBe(403)
    const bare = await r.m3terFetch(`${r.m3ter.apiUrl}/health?probe=1`)
    expect(bare.status).toBe(404)
    expect(r.m3ter.stats.tokenRequests).toBe(0)
    expect(r.m3ter.log.map((entry) => entry.headers.authorization)).toEqual([undefined, undefined])
    expect(r.events.filter((e) => e.type === 'request_unrouted')).toMatchObject([
      {
        reason: 'unknown_organisation',
        orgId: 'someone-else',
        url: `${r.m3ter.apiUrl}/organizations/someone-else/meters`,
      },
      { reason: 'no_organisation', url: `${r.m3ter.apiUrl}/health` },
    ])
    // The ingest host routes by the same path.
    const ingest = await r.m3terFetch(`${r.m3ter.ingestUrl}/organizations/org-0/measurements`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        measurements: [{ uid: 'u1', meter: 'm', account: 'a', ts: '2026-01-01T00:00:00Z' }],
      }),
    })
    expect(ingest.status).toBe(200)
    expect(bearerOrg(r.m3ter, r.m3ter.log.length - 1)).toBe('org-0')
  })

  it('an evicted member finishes the request in flight that waits for its token', async () => {
    const r = await rig(2, { maxProviders: 1 })
    r.m3ter.faults.inject('token', { kind: 'hold' })
    const first = r.m3terFetch(r.meters('org-0'))
    while (r.m3ter.faults.held() < 1) await new Promise((resolve) => setTimeout(resolve, 2))
    // org-1's request evicts org-0's member (maxProviders: 1) while org-0's token request is held.
    const second = r.m3terFetch(r.meters('org-1'))
    while (r.pool.snapshot().organizations['org-0']) await new Promise((resolve) => setTimeout(resolve, 2))
    r.m3ter.faults.release()
    expect((await first).status).toBe(200)
    expect((await second).status).toBe(200)
    const bearers = r.m3ter.log.flatMap((entry, i) => (entry.origin === 'api' ? [bearerOrg(r.m3ter, i)] : []))
    expect(bearers.sort()).toEqual(['org-0', 'org-1'])
    expect(r.events.filter((e) => e.type === 'pool_member_evicted')).toMatchObject([
      { orgId: 'org-0', reason: 'capacity' },
    ])
  })
})
