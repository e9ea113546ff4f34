// bun run main.ts: lists every m3ter meter, page by page, on one token. Credentials come from
// M3TER_API_KEY and M3TER_API_SECRET, which the provider reads from process.env at first use.
import { createTokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'

const base = process.env.M3TER_BASE_URL ?? 'https://api.m3ter.com'
const orgId = process.env.M3TER_ORG_ID
if (!orgId) throw new Error('set M3TER_ORG_ID (the m3ter organization id)')
const auth = createTokenProvider({
  tokenUrl: process.env.M3TER_TOKEN_URL ?? `${base}/oauth/token`,
  // The API origin and the ingest origin: measurements need the bearer too.
  scope: [base, process.env.M3TER_INGEST_URL ?? base.replace('://api.', '://ingest.')],
})
const m3terFetch = withM3terAuth(auth)

let meters = 0
let next: string | undefined = ''
while (next !== undefined) {
  const query = `pageSize=100${next ? `&nextToken=${encodeURIComponent(next)}` : ''}`
  const page = await (await m3terFetch(`${base}/organizations/${orgId}/meters?${query}`)).json()
  meters += page.data.length
  next = page.nextToken
}
console.log(`meters: ${meters}`)
await auth.close()
