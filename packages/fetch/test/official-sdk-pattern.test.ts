import { createTokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'
import { expect, it } from 'vitest'

// m3ter's official TypeScript SDK is not on the registry these machines reach, so its request pattern is
// replayed here through the real fetch adapter against the mock: its own Basic-auth token request to
// <api origin>/oauth/token through the fetch it is given, then API calls with the bearer it holds (a
// placeholder when it is given `token`), and measurements to the ingest origin.
it('the official SDK pattern through withM3terAuth: its token request untouched, its bearer replaced', async () => {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const auth = createTokenProvider({
    credentials: m3ter.keys[0]!,
    tokenUrl: m3ter.tokenUrl,
    scope: [m3ter.apiUrl, m3ter.ingestUrl],
    clock,
  })
  const sdkFetch = withM3terAuth(auth)
  const key = m3ter.keys[0]!
  const basic = `Basic ${Buffer.from(`${key.accessKeyId}:${key.apiSecret}`).toString('base64')}`
  const org = `/organizations/${m3ter.orgId}`
  try {
    expect(m3ter.tokenUrl).toBe(`${m3ter.apiUrl}/oauth/token`)
    // The SDK's own token request (when it is not given a token) passes through exactly as made.
    const own = await sdkFetch(`${m3ter.apiUrl}/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    })
    expect(own.status).toBe(200)
    const sdkToken = ((await own.json()) as { access_token: string }).access_token
    // Its API calls carry its bearer (or a placeholder); ours replaces it.
    const calls = [
      sdkFetch(`${m3ter.apiUrl}${org}/meters?pageSize=2`, {
        headers: { authorization: `Bearer ${sdkToken}` },
      }),
      sdkFetch(`${m3ter.apiUrl}${org}/accounts`, { headers: { authorization: 'Bearer placeholder' } }),
      sdkFetch(`${m3ter.ingestUrl}${org}/measurements`, {
        method: 'POST',
        headers: { authorization: 'Bearer placeholder', 'content-type': 'application/json' },
        body: JSON.stringify({
          measurements: [{ uid: 'u1', meter: 'm', account: 'a', ts: '2026-01-01T00:00:00Z' }],
        }),
      }),
    ]
    expect((await Promise.all(calls)).map((res) => res.status)).toEqual([200, 200, 200])
    const ours = m3ter.issuedTokens[1]
    const seen = m3ter.log.filter((entry) => entry.origin !== 'token')
    expect(seen.map((entry) => [entry.origin, entry.headers.authorization])).toEqual([
      ['api', `Bearer ${ours}`],
      ['api', `Bearer ${ours}`],
      ['ingest', `Bearer ${ours}`],
    ])
    const tokenRequests = m3ter.log.filter((entry) => entry.origin === 'token')
    expect(tokenRequests.map((entry) => entry.headers.authorization)).toEqual([basic, basic])
    // A revocation is recovered for the SDK too, and its own token request never dropped ours.
    m3ter.revokeAll()
    expect(
      (await sdkFetch(`${m3ter.apiUrl}${org}/meters`, { headers: { authorization: 'Bearer x' } })).status,
    ).toBe(200)
    expect(m3ter.stats.tokenRequests).toBe(3)
  } finally {
    await auth.close()
    await m3ter.close()
  }
})
