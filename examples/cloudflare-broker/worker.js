// A Cloudflare Worker whose isolates all share one m3ter token, held by a Durable Object: the broker.
// Secrets: `wrangler secret put M3TER_API_KEY` and `M3TER_API_SECRET` (optionally M3TER_TOKEN_ENCRYPTION_KEY
// to keep the token encrypted in the broker's storage). M3TER_ORG_ID in wrangler.toml. M3TER_BASE_URL and
// M3TER_TOKEN_URL are optional; set M3TER_TOKEN_URL whenever the token endpoint is not m3ter's own, since
// the broker reads it too.
import { createDurableObjectStore } from '@m3ter-auth/cloudflare'
import { createTokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'

// The broker class, exported from this Worker and bound as M3TER_TOKENS in wrangler.toml. Other Workers of
// the account share it by binding the same class with `script_name` set to this Worker's name.
export { M3terTokenBroker } from '@m3ter-auth/cloudflare'

// Module scope: one provider per isolate. Its token comes from the broker, so a new isolate, or one whose
// token was rejected, asks the broker, and the broker asks m3ter once for the whole fleet.
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
      store: createDurableObjectStore(env.M3TER_TOKENS),
    })
    // workerd cancels what a request leaves running once it answers: waitUntil keeps a background refresh
    // that this request starts alive until it lands.
    const m3terFetch = withM3terAuth(auth, fetch, { waitUntil: (work) => ctx.waitUntil(work) })
    const res = await m3terFetch(`${base}/organizations/${env.M3TER_ORG_ID}/meters?pageSize=10`)
    return new Response(res.body, { status: res.status, headers: { 'content-type': 'application/json' } })
  },
}
