// The broker and the isolates' stores in Node, on the real clock, against the mock m3ter over loopback
// HTTP: each store stands for one isolate (its own copy, its own calls); the namespace double hands every
// call to the one broker object, as workerd does. What workerd adds is covered by test/broker.workerd.test.ts.
import { createTokenProvider, isM3terAuthError } from '@m3ter-auth/core'
import { storeKeyOf } from '@m3ter-auth/core/internals'
import { type MockM3ter, startMockM3ter } from '@m3ter-auth/testkit'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { M3terTokenBroker } from './broker.ts'
import { createDurableObjectStore } from './durable-object-store.ts'
import { BROKER_ORIGIN } from './protocol.ts'
import type { DurableObjectNamespaceLike, DurableObjectStorageLike } from './types.ts'

const ISOLATES = 20
// Real time: the token endpoint's latency is real waiting (a few seconds in all).
vi.setConfig({ testTimeout: 30_000 })

let m3ter: MockM3ter
beforeAll(async () => {
  m3ter = await startMockM3ter()
})
afterAll(() => m3ter.close())

function memoryStorage(): DurableObjectStorageLike {
  const entries = new Map<string, unknown>()
  return {
    get: async (key) => entries.get(key),
    put: async (key, value) => void entries.set(key, value),
    delete: async (key) => entries.delete(key),
  }
}

function startBroker() {
  const key = m3ter.keys[0]!
  const env = {
    M3TER_API_KEY: key.accessKeyId,
    M3TER_API_SECRET: key.apiSecret,
    M3TER_TOKEN_URL: m3ter.tokenUrl,
  }
  const broker = new M3terTokenBroker({ storage: memoryStorage() }, env)
  const namespace: DurableObjectNamespaceLike = {
    idFromName: (name) => name,
    get: () => ({ fetch: (input, init) => broker.fetch(new Request(input, init)) }),
  }
  return { broker, namespace }
}

const isolate = (namespace: DurableObjectNamespaceLike, apiSecret = m3ter.keys[0]!.apiSecret) =>
  createTokenProvider({
    credentials: { accessKeyId: m3ter.keys[0]!.accessKeyId, apiSecret },
    tokenUrl: m3ter.tokenUrl,
    scope: [m3ter.apiUrl],
    store: createDurableObjectStore(namespace),
  })

describe('a fleet of isolates on one broker, the token endpoint slow', () => {
  it.each([1_500, 5_000])(
    `endpoint at %i ms: ${ISOLATES} isolates at once make one token request`,
    async (delayMs) => {
      m3ter.reset()
      m3ter.faults.inject('token', { kind: 'slow', delayMs }, { times: Number.POSITIVE_INFINITY })
      const { namespace } = startBroker()
      const isolates = Array.from({ length: ISOLATES }, () => isolate(namespace))
      const started = Date.now()
      const tokens = await Promise.all(isolates.map((auth) => auth.getToken()))
      console.log(
        `endpoint ${delayMs} ms: ${m3ter.stats.tokenRequests} token request(s), ${Date.now() - started} ms`,
      )
      expect(new Set(tokens).size).toBe(1)
      expect(m3ter.stats.tokenRequests).toBe(1)
      await Promise.all(isolates.map((auth) => auth.close()))
    },
  )
})

describe('the broker serves only a member that holds the same secret', () => {
  it('a raw request naming the key id, or the key of another secret, is declined; a wrong secret is never served', async () => {
    m3ter.reset()
    const { broker, namespace } = startBroker()
    const right = isolate(namespace)
    const token = await right.getToken()
    const key = m3ter.keys[0]!
    const ask = (body: unknown) =>
      broker.fetch(new Request(`${BROKER_ORIGIN}/token`, { method: 'POST', body: JSON.stringify(body) }))
    const guesses = [
      `m3ter-auth:v1:${m3ter.tokenUrl}:${key.accessKeyId}`,
      await storeKeyOf(m3ter.tokenUrl, { accessKeyId: key.accessKeyId, apiSecret: 'a guess' }),
    ]
    for (const guess of guesses) {
      const res = await ask({ key: guess, waitMs: 0 })
      expect(res.status).toBe(409)
      expect(await res.text()).not.toContain(token)
    }
    expect((await ask({ key: await storeKeyOf(m3ter.tokenUrl, key), waitMs: 0 })).status).toBe(200)
    // A member with the right key id and another secret asks under another key: declined by the broker,
    // it goes to m3ter itself and is refused there.
    const wrong = isolate(namespace, 'not-the-secret')
    const error = await wrong.getToken().catch((e: unknown) => e)
    expect(isM3terAuthError(error) && error.code).toBe('invalid_credentials')
    await Promise.all([right.close(), wrong.close()])
  })
})
