import { decodeJwtClaims } from '../jwt.ts'
import type { SuiteContext } from './context.ts'

/**
 * §3 with a pool (`{ pool: true }`): the adapter picks the member by the organisation in the URL. The harness's
 * pool also knows the mock's other organisations, through an asynchronous `credentialsFor`, so a member made
 * while its first requests wait is covered too.
 */
export function poolTests({ test, harness, expect }: SuiteContext): void {
  test(
    '3',
    'a pool: each request carries its own organisation’s token; an unknown one goes untouched',
    async () => {
      const h = await harness({ mock: { organizations: [{ orgId: 'second-org' }] } })
      const urls = [
        h.api('/meters?pageSize=1'),
        `${h.m3ter.apiUrl}/organizations/second-org/meters?pageSize=2`,
        `${h.m3ter.apiUrl}/organizations/not-ours/meters?pageSize=3`,
      ]
      const requests = urls.flatMap((url) => [url, url, url]).map((url) => h.send({ method: 'GET', url }))
      const statuses = (await Promise.all(requests)).map((res) => res.status)
      // An organisation the pool does not know: no bearer, so m3ter refuses it, and nobody refreshes.
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 403, 403, 403])
      expect(h.m3ter.stats.tokenRequests).toBe(2)
      for (const entry of h.apiLog()) {
        const bearer = h.bearerOf(entry)
        const pathOrg = /^\/organizations\/([^/?]+)/.exec(entry.url)?.[1]
        if (pathOrg === 'not-ours') expect(entry.headers.authorization).toBeUndefined()
        else expect(decodeJwtClaims(bearer ?? '')?.orgId).toBe(pathOrg)
      }
    },
  )

  test(
    '4.5',
    'a pool: a member evicted while its request is in flight still refreshes and retries a refused token',
    async () => {
      const h = await harness({
        mock: { organizations: [{ orgId: 'second-org' }] },
        pool: { maxProviders: 1 },
      })
      expect((await h.send({ method: 'GET', url: h.api('/meters?pageSize=1') })).status).toBe(200)
      h.m3ter.faults.inject('api', { kind: 'hold' }, { times: 1 })
      const held = h.send({ method: 'GET', url: h.api('/meters?pageSize=2') })
      await h.until(() => h.m3ter.faults.held() === 1, 'the request to be held')
      // A second organisation's member takes the pool's only place: the held request's member is evicted.
      const other = `${h.m3ter.apiUrl}/organizations/second-org/meters?pageSize=3`
      expect((await h.send({ method: 'GET', url: other })).status).toBe(200)
      // Its token is revoked while it is held: the answer is a 403 that a new token fixes.
      h.m3ter.revokeAll()
      h.m3ter.faults.release()
      expect((await held).status).toBe(200)
      const [sent, retry, ...more] = h
        .apiLog()
        .filter((entry) => entry.url === `/organizations/${h.m3ter.orgId}/meters?pageSize=2`)
      expect(more).toHaveLength(0)
      expect(sent && retry && h.bearerOf(retry) !== h.bearerOf(sent)).toBe(true)
      expect(h.m3ter.stats.tokenRequests).toBe(3)
    },
  )
}
