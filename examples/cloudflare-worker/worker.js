// A Cloudflare Worker that lists m3ter meters. Secrets: `wrangler secret put M3TER_API_KEY` and
// `M3TER_API_SECRET`; M3TER_ORG_ID in wrangler.toml. M3TER_BASE_URL and M3TER_TOKEN_URL are optional.
import { createTokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'

// Module scope: one provider per isolate, so every request this isolate serves shares one token. Created
// at the first request because Worker bindings (env) only arrive with a request.
let m3terFetch

export default {
  async fetch(_request, env) {
    const base = env.M3TER_BASE_URL ?? 'https://api.m3ter.com'
    m3terFetch ??= withM3terAuth(
      createTokenProvider({
        credentials: { accessKeyId: env.M3TER_API_KEY, apiSecret: env.M3TER_API_SECRET },
        tokenUrl: env.M3TER_TOKEN_URL ?? `${base}/oauth/token`,
        scope: [base],
        // workerd cancels whatever a request leaves running when it ends, so a background refresh would be
        // lost: fetch the next token in the request that needs it, at expiry (see the fetch README).
        refresh: { fraction: 0, minWindowMs: 0, maxWindowMs: 0 },
      }),
    )
    const res = await m3terFetch(`${base}/organizations/${env.M3TER_ORG_ID}/meters?pageSize=10`)
    return new Response(res.body, { status: res.status, headers: { 'content-type': 'application/json' } })
  },
}
