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
}
