// workerd: one provider at module scope serving many requests, with the clock in the test's hands, to show
// what crosses request boundaries inside one isolate (a refresh started by one request, used by the next).
import { createTokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { manualClock } from './manual-clock.js'

const clock = manualClock()
let auth
let m3terFetch

export default {
  async fetch(request, env, ctx) {
    auth ??= createTokenProvider({
      credentials: { accessKeyId: env.M3TER_API_KEY, apiSecret: env.M3TER_API_SECRET },
      tokenUrl: env.M3TER_TOKEN_URL,
      scope: [env.M3TER_BASE_URL],
      clock,
      random: () => 0,
      // REFRESH_INLINE: no background refresh at all, so no token request outlives the request that made it.
      ...(env.REFRESH_INLINE ? { refresh: { fraction: 0, minWindowMs: 0, maxWindowMs: 0 } } : {}),
    })
    // NO_WAIT_UNTIL: the wrapper without ctx.waitUntil, to show what workerd does to a background refresh.
    m3terFetch = env.NO_WAIT_UNTIL
      ? withM3terAuth(auth)
      : withM3terAuth(auth, fetch, { waitUntil: (work) => ctx.waitUntil(work) })
    const url = new URL(request.url)
    if (url.pathname === '/advance-to-refresh')
      await clock.advance(auth.snapshot().expiresAt - clock.now() - 60_000)
    if (url.pathname === '/advance-past-expiry')
      await clock.advance(auth.snapshot().expiresAt - clock.now() + 1)
    if (url.pathname !== '/fetch') return Response.json(auth.snapshot())
    const res = await m3terFetch(`${env.M3TER_BASE_URL}/organizations/${env.M3TER_ORG_ID}/meters?pageSize=1`)
    await res.arrayBuffer()
    return Response.json({ status: res.status, snapshot: auth.snapshot() })
  },
}
