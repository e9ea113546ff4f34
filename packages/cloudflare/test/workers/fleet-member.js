// One Worker of the fleet: lists meters through the fetch wrapper, with the provider's token from the broker
// (or, with NO_BROKER, on its own: the baseline). With PER_REQUEST the provider is made per request, as many
// Workers do, so only the store's copy in the isolate stands between each request and the broker.
import { createDurableObjectStore, storeKeyFor } from '@m3ter-auth/cloudflare'
import { createTokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'
// The runtime suite's manual clock, bundled in; it starts at 0 here, as the first request sets the time.
import { manualClock } from '../../../../tests/runtimes/src/manual-clock.js'

const clock = manualClock(0)
const events = []
let store
let moduleAuth

/** The Durable Object name the store uses for a key (a digest of it), for raw requests to the broker. */
async function objectName(key) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))
  return `m3ter-auth:${[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')}`
}

/**
 * What a Worker that knows only the access key id (or holds another secret) gets from the broker by raw
 * requests, and what the rightful key gets, as the control.
 */
async function rawRequests(env) {
  const right = await storeKeyFor(env.M3TER_TOKEN_URL, {
    accessKeyId: env.M3TER_API_KEY,
    apiSecret: env.M3TER_API_SECRET,
  })
  const keys = {
    keyIdOnly: `m3ter-auth:v1:${new URL(env.M3TER_TOKEN_URL).href}:${env.M3TER_API_KEY}`,
    otherSecret: await storeKeyFor(env.M3TER_TOKEN_URL, {
      accessKeyId: env.M3TER_API_KEY,
      apiSecret: 'guess',
    }),
    right,
  }
  const answers = {}
  for (const [name, key] of Object.entries(keys)) {
    // Both to the broker the key names and to the fleet's own broker: neither serves a key it did not derive.
    for (const object of [key, right]) {
      const stub = env.M3TER_TOKENS.get(env.M3TER_TOKENS.idFromName(await objectName(object)))
      const res = await stub.fetch('https://m3ter-token-broker.internal/token', {
        method: 'POST',
        body: JSON.stringify({ key, waitMs: 5_000 }),
      })
      answers[`${name}${object === key ? '' : '@fleet'}`] = { status: res.status, body: await res.text() }
    }
  }
  return answers
}

export default {
  async fetch(request, env, ctx) {
    await clock.follow(request)
    if (request.headers.has('x-test-raw')) return Response.json(await rawRequests(env))
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
