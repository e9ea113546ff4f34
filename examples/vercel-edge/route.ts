// app/api/meters/route.ts in a Next.js app: an Edge route handler that lists m3ter meters.
import { createTokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'

export const runtime = 'edge'

// Module scope: one provider per isolate, shared by every request that isolate serves.
const base = process.env.M3TER_BASE_URL ?? 'https://api.m3ter.com'
const m3terFetch = withM3terAuth(
  createTokenProvider({
    credentials: {
      accessKeyId: process.env.M3TER_API_KEY ?? '',
      apiSecret: process.env.M3TER_API_SECRET ?? '',
    },
    tokenUrl: process.env.M3TER_TOKEN_URL ?? `${base}/oauth/token`,
    // The API origin and the ingest origin: measurements need the bearer too.
    scope: [base, process.env.M3TER_INGEST_URL ?? base.replace('://api.', '://ingest.')],
  }),
)

export async function GET(): Promise<Response> {
  if (!process.env.M3TER_ORG_ID)
    return new Response('set M3TER_ORG_ID (the m3ter organization id)', { status: 500 })
  const res = await m3terFetch(`${base}/organizations/${process.env.M3TER_ORG_ID}/meters?pageSize=10`)
  return new Response(res.body, { status: res.status, headers: { 'content-type': 'application/json' } })
}
