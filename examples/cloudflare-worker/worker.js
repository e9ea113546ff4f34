// A Cloudflare Worker that lists m3ter meters. Secrets: `wrangler secret put M3TER_API_KEY` and
// `M3TER_API_SECRET`; M3TER_ORG_ID in wrangler.toml. M3TER_BASE_URL and M3TER_TOKEN_URL are optional.
import { createTokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'

// Module scope: one provider per isolate, so every request this isolate serves shares one token. Created
// at the first request because Worker bindings (env) only arrive with a request.
let auth

export default {
  async fetch(_request, env, ctx) {
    if (!env.M3TER_ORG_ID) return new Response('set M3TER_ORG_ID in wrangler.toml', { status: 500 })
    const base = env.M3TER_BASE_URL ?? 'https://api.m3ter.com'
    auth ??= createTokenProvider({
      credentials: { accessKeyId: env.M3TER_API_KEY, apiSecret: env.M3TER_API_SECRET },
      tokenUrl: env.M3TER_TOKEN_URL ?? `${base}/oauth/token`,
      // The API origin and the ingest origin: measurements need the bearer too.
      scope: [base, env.M3TER_INGEST_URL ?? base.replace('://api.', '://ingest.')],
    })
    // workerd cancels what a request leaves running once it answers: waitUntil keeps a background token
    // refresh that this request starts alive until it lands, for the requests after it.
    const m3terFetch = withM3terAuth(auth, fetch, { waitUntil: (work) => ctx.waitUntil(work) })
    const res = await m3terFetch(`${base}/organizations/${env.M3TER_ORG_ID}/meters?pageSize=10`)
    return new Response(res.body, { status: res.status, headers: { 'content-type': 'application/json' } })
  },
}
