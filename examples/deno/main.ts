// deno run --allow-net --allow-env main.ts: lists every m3ter meter, page by page, on one token.
// deno.json maps the imports to npm: specifiers.
import { createTokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'

const env = Deno.env.toObject()
const base = env.M3TER_BASE_URL ?? 'https://api.m3ter.com'
if (!env.M3TER_ORG_ID) throw new Error('set M3TER_ORG_ID (the m3ter organization id)')
const auth = createTokenProvider({
  credentials: { accessKeyId: env.M3TER_API_KEY ?? '', apiSecret: env.M3TER_API_SECRET ?? '' },
  tokenUrl: env.M3TER_TOKEN_URL ?? `${base}/oauth/token`,
  // The API origin and the ingest origin: measurements need the bearer too.
  scope: [base, env.M3TER_INGEST_URL ?? base.replace('://api.', '://ingest.')],
})
const m3terFetch = withM3terAuth(auth)

let meters = 0
let next: string | undefined = ''
while (next !== undefined) {
  const query = `pageSize=100${next ? `&nextToken=${encodeURIComponent(next)}` : ''}`
  const page = await (await m3terFetch(`${base}/organizations/${env.M3TER_ORG_ID}/meters?${query}`)).json()
  meters += page.data.length
  next = page.nextToken
}
console.log(`meters: ${meters}`)
await auth.close()
