import { createTokenProvider } from '@m3ter-auth/core'
import { m3terSdkOptions, withM3terAuth } from '@m3ter-auth/fetch'
import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'
import { afterEach, expect, it } from 'vitest'

// m3ter's official TypeScript SDK (`m3ter-sdk`) is not on the registry these machines reach. Its types that
// matter here, as TYPES only, from m3ter-com/m3ter-sdk-typescript v0.3.1: `Fetch` from
// src/internal/builtin-types.ts, and the part of `ClientOptions` (src/client.ts) that these options fill.
type SdkFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>
interface SdkClientOptions {
  apiKey?: string | undefined
  apiSecret?: string | undefined
  token?: string | null | undefined
  orgID?: string | undefined
  baseURL?: string | null | undefined
  fetch?: SdkFetch | undefined
  maxRetries?: number | undefined
}

const saved = process.env.M3TER_INGEST_URL
afterEach(() => {
  if (saved === undefined) delete process.env.M3TER_INGEST_URL
  else process.env.M3TER_INGEST_URL = saved
})

it('typechecks inline in the SDK’s options: withM3terAuth(auth) and the spread of m3terSdkOptions(auth)', () => {
  const auth = createTokenProvider({ credentials: { accessKeyId: 'k', apiSecret: 's' } })
  // Before: TS2322 "Type 'FetchLike' is not assignable to type 'Fetch'" for the first form.
  const withFetch: SdkClientOptions = { orgID: 'org', token: 'placeholder', fetch: withM3terAuth(auth) }
  const spread: SdkClientOptions = { ...m3terSdkOptions(auth), orgID: 'org' }
  expect(typeof withFetch.fetch).toBe('function')
  expect(spread).toMatchObject({ orgID: 'org', token: expect.any(String), apiKey: expect.any(String) })
  // The SDK is never given the real key: m3ter-auth holds it.
  expect(JSON.stringify(spread)).not.toContain('"s"')
})

it('drives requests as the SDK sends them: API calls and usage.submit to a mock on two ports', async () => {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock, orgId: 'org' })
  const auth = createTokenProvider({
    credentials: m3ter.keys[0]!,
    tokenUrl: m3ter.tokenUrl,
    scope: [m3ter.apiUrl, m3ter.ingestUrl],
    clock,
  })
  process.env.M3TER_INGEST_URL = m3ter.ingestUrl
  const { fetch: sdkFetch, token } = m3terSdkOptions(auth)
  try {
    // The SDK calls its fetch as a plain function with a URL string and its bearer (the placeholder).
    const send = (url: string, init: RequestInit = {}) =>
      sdkFetch.call(undefined, url, {
        ...init,
        headers: { ...init.headers, authorization: `Bearer ${token}` },
      })
    const meters = await send(`${m3ter.apiUrl}/organizations/org/meters?pageSize=2`)
    expect(meters.status).toBe(200)
    // usage.submit: the SDK swaps `api.` for `ingest.` in its base URL; on 127.0.0.1 there is none, so it
    // posts to the API origin. M3TER_INGEST_URL sends it where the mock takes measurements.
    const submitted = await send(`${m3ter.apiUrl}/organizations/org/measurements`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ measurements: [{ meter: 'm', account: 'a', ts: '2026-01-01T00:00:00Z' }] }),
    })
    expect(submitted.status).toBe(200)
    expect(await submitted.json()).toEqual({ result: 'accepted' })
    const seen = m3ter.log.filter((entry) => entry.origin !== 'token')
    expect(seen.map((entry) => [entry.origin, entry.headers.authorization])).toEqual([
      ['api', `Bearer ${m3ter.issuedTokens[0]}`],
      ['ingest', `Bearer ${m3ter.issuedTokens[0]}`],
    ])
    expect(m3ter.stats.tokenRequests).toBe(1)
  } finally {
    await auth.close()
    await m3ter.close()
  }
})
