// One Worker of the fleet: lists meters through the fetch wrapper, with the provider's token from the broker
// (or, with NO_BROKER, on its own: the baseline). With PER_REQUEST the provider is made per request, as many
// Workers do, so only the store's copy in the isolate stands between each request and the broker.
import { createDurableObjectStore } from '@m3ter-auth/cloudflare'
import { createTokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'
// The runtime suite's manual clock, bundled in; it starts at 0 here, as the first request sets the time.
import { manualClock } from '../../../../tests/runtimes/src/manual-clock.js'

const clock = manualClock(0)
const events = []
let store
let moduleAuth

export default {
  async fetch(request, env, ctx) {
    await clock.follow(request)
    store ??= env.NO_BROKER
      ? undefined
      : createDurableObjectStore(env.M3TER_TOKENS, {
          clock,
          onEvent: (e) => events.push(`${e.type} ${e.reason}`),
        })
    const make = () =>
      createTokenProvider({
        credentials: { accessKeyId: env.M3TER_API_KEY, apiSecret: env.M3TER_API_SECRET },
        tokenUrl: env.M3TER_TOKEN_URL,
        scope: [env.M3TER_BASE_URL],
        clock,
        ...(store ? { store } : {}),
      })
    if (!env.PER_REQUEST) moduleAuth ??= make()
    const auth = moduleAuth ?? make()
    const m3terFetch = withM3terAuth(auth, fetch, { waitUntil: (work) => ctx.waitUntil(work) })
    const res = await m3terFetch(`${env.M3TER_BASE_URL}/organizations/${env.M3TER_ORG_ID}/meters?pageSize=1`)
    await res.arrayBuffer()
    return Response.json({ status: res.status, generation: auth.snapshot().generation, events })
  },
}
