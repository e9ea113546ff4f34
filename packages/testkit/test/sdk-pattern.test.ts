import { afterEach, describe, expect, it } from 'vitest'
import { type MockM3ter, startMockM3ter } from '../src/index.ts'

let m3ter: MockM3ter
afterEach(() => m3ter?.close())

/**
 * The requests m3ter's official TypeScript SDK sends when its `baseURL` is the mock's api origin, replayed
 * with fetch (the SDK is not on the registry these machines reach): its own Basic-auth token request to
 * `baseURL + /oauth/token`, lists paged with `nextToken` and arrays sent comma-separated, a create, and
 * `usage.submit`, which goes to the base URL itself when that has no `api.` to turn into `ingest.`.
 */
describe("the official SDK's request pattern against the mock, without a proxy", () => {
  it('token on the API origin, list with nextToken, ids filter, create, ingest', async () => {
    m3ter = await startMockM3ter({ orgId: 'org-sdk', meters: 25 })
    const baseURL = m3ter.apiUrl
    const [key] = m3ter.keys
    const sdkHeaders = { accept: 'application/json', 'content-type': 'application/json' }
    const tokenRes = await fetch(`${baseURL}/oauth/token`, {
      method: 'POST',
      headers: {
        ...sdkHeaders,
        authorization: `Basic ${btoa(`${key?.accessKeyId}:${key?.apiSecret}`)}`,
      },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    })
    expect(tokenRes.status).toBe(200)
    const { access_token, expires_in } = (await tokenRes.json()) as {
      access_token: string
      expires_in: number
    }
    expect(expires_in).toBe(18000)
    const headers = { ...sdkHeaders, authorization: `Bearer ${access_token}` }

    const codes: string[] = []
    let nextToken: string | undefined
    do {
      const query = new URLSearchParams({ pageSize: '10', ...(nextToken ? { nextToken } : {}) })
      const page = await fetch(`${baseURL}/organizations/org-sdk/meters?${query}`, { headers })
      expect(page.status).toBe(200)
      const body = (await page.json()) as { data: { code: string }[]; nextToken?: string }
      codes.push(...body.data.map((m) => m.code))
      nextToken = body.nextToken
    } while (nextToken)
    expect(codes).toHaveLength(25)

    const create = await fetch(`${baseURL}/organizations/org-sdk/meters`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        code: 'sdk_meter',
        name: 'SDK meter',
        dataFields: [{ category: 'MEASURE', code: 'units', name: 'Units' }],
        derivedFields: [],
      }),
    })
    expect(create.status).toBe(200)
    const created = (await create.json()) as { id: string }
    const filtered = await fetch(
      `${baseURL}/organizations/org-sdk/meters?ids=${created.id},${m3ter.meters[0]?.id}`,
      { headers },
    )
    expect(((await filtered.json()) as { data: unknown[] }).data).toHaveLength(2)

    const submit = await fetch(`${baseURL.replace('api.', 'ingest.')}/organizations/org-sdk/measurements`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        measurements: [
          { account: 'Acme Corp', meter: 'sdk_meter', ts: '2022-08-24T14:15:22Z', measure: { units: 3 } },
        ],
      }),
    })
    expect(submit.status).toBe(200)
    expect(await submit.json()).toEqual({ result: 'accepted' })
    expect(m3ter.stats).toMatchObject({
      tokenRequests: 1,
      ingestBatches: 1,
      ingestMeasurements: 1,
      bearerRejections: 0,
    })
  })
})
