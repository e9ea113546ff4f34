// One process of the fleet benchmark (bench/fleet.bench.mjs): a provider, optionally on the Redis store,
// answering the parent over IPC. With `manual` time its clock moves only when the parent says so, and only
// once its own store calls and token requests have settled (so test time never outruns real I/O).
import { createTokenProvider } from '@m3ter-auth/core'
import { createRedisStore } from '@m3ter-auth/redis'
import { createManualClock } from '@m3ter-auth/testkit'
import Redis from 'ioredis'
import { Agent, fetch as undiciFetch } from 'undici'

const config = JSON.parse(process.env.FLEET_MEMBER)
const clock = config.manual ? createManualClock(config.startAt) : undefined

let pending = 0
const waiters = []
const track = (work) => {
  pending++
  const settled = () => {
    pending--
    if (pending === 0) for (const wake of waiters.splice(0)) wake()
  }
  const promise = work()
  promise.then(settled, settled)
  return promise
}
const idle = async () => {
  for (;;) {
    while (pending > 0) await new Promise((resolve) => waiters.push(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    if (pending === 0) return
  }
}

// Core derives a shared store's key with Web Crypto (PBKDF2): real work off the event loop, outside the
// injected clock, which the member tracks like I/O so that it never says it is idle while a derivation runs.
// Untracked, the parent could age Redis meanwhile, and the cold token's write land a step late: read back, it
// looked younger than it was (a lone member then took it as fresh at its refresh point: 2 token requests over
// 3 lifetimes).
for (const name of ['importKey', 'deriveBits', 'digest']) {
  const subtle = globalThis.crypto.subtle
  const real = subtle[name].bind(subtle)
  subtle[name] = (...args) => track(() => real(...args))
}

const dispatcher = new Agent({ pipelining: 0 })
let client
let store
if (config.redisUrl) {
  client = new Redis(config.redisUrl)
  await new Promise((resolve) => client.once('ready', resolve))
  const redis = createRedisStore({ client, ...(clock ? { clock } : {}) })
  store = {
    timeoutMs: redis.timeoutMs,
    get: (key) => track(() => redis.get(key)),
    set: (key, token) => track(() => redis.set(key, token)),
    delete: (key, token) => track(() => redis.delete(key, token)),
    lease: (key, ttl) =>
      track(async () => {
        const lease = await redis.lease(key, ttl)
        return lease && { release: () => track(() => lease.release()) }
      }),
  }
}
const refreshes = []
const auth = createTokenProvider({
  credentials: config.credentials,
  tokenUrl: config.tokenUrl,
  scope: [config.apiUrl],
  ...(clock ? { clock } : {}),
  ...(store ? { store } : {}),
  // The manual clock jumps hours while a real token request may be in flight: a caller's wait is not what
  // this bench measures, so it is not cut at the default 10 s of manual time.
  maxWaitMs: 24 * 60 * 60 * 1000,
  // A fresh connection per token request: hours of (manual) time pass between two, and a pooled connection
  // closed by the mock's idle timer just as it is reused would fail a request for no reason of ours.
  // The body is read inside the tracked call: tracked up to its headers only, a token answer's body could still
  // be on its way when the member says it is idle, and its store write land after the parent aged Redis.
  fetch: (input, init) =>
    track(async () => {
      const response = await undiciFetch(input, { ...init, dispatcher })
      const body = [204, 304].includes(response.status) ? null : await response.arrayBuffer()
      return new Response(body, { status: response.status, headers: response.headers })
    }),
  onEvent: (event) => {
    if (event.type === 'token_fetched') refreshes.push(event.refreshAt)
  },
})

const status = () => ({ status: auth.snapshot().status, refreshAt: refreshes.at(-1) })

async function handle(message) {
  switch (message.type) {
    case 'token':
      await auth.getToken()
      return status()
    case 'demand':
      // A demand, as a request would make: past the refresh point it starts the background refresh.
      await auth.getToken()
      return status()
    case 'settle':
      // What is in flight lands before the parent ages Redis for the next step (see fleet.bench.mjs).
      await idle()
      return status()
    case 'advance':
      await idle()
      await clock.advanceTo(message.to)
      await idle()
      return status()
    case 'close':
      await auth.close()
      client?.disconnect()
      await dispatcher.close()
      setImmediate(() => process.exit(0))
      return null
  }
}

process.on('message', (message) => {
  handle(message).then((value) => process.send({ id: message.id, value }))
})
process.send({ hello: true })
