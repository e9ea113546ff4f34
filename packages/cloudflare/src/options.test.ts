import { describe, expect, it } from 'vitest'
import { M3terTokenBroker } from './broker.ts'
import { createDurableObjectStore } from './durable-object-store.ts'
import { BROKER_ORIGIN } from './protocol.ts'

// The storage is never reached in these cases: the broker refuses before it would use it.
const state = { storage: {} as never }
const ask = (broker: M3terTokenBroker, path: string, body: unknown) =>
  broker.fetch(new Request(`${BROKER_ORIGIN}${path}`, { method: 'POST', body: JSON.stringify(body) }))

describe('createDurableObjectStore', () => {
  it('refuses what is not a Durable Object namespace with invalid_options', () => {
    for (const bad of [undefined, {}, { idFromName: () => 'x' }])
      expect(() => createDurableObjectStore(bad as never)).toThrow(
        expect.objectContaining({ code: 'invalid_options' }),
      )
  })
})

describe('M3terTokenBroker, misconfigured', () => {
  it('without credentials answers by code only: the isolates then fetch for themselves', async () => {
    const res = await ask(new M3terTokenBroker(state, {}), '/token', { key: 'k', waitMs: 0 })
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ code: 'missing_credentials' })
  })

  it('with a short encryption key says invalid_options and shows neither the key nor the secret', async () => {
    const env = {
      M3TER_API_KEY: 'id',
      M3TER_API_SECRET: 'the-api-secret',
      M3TER_TOKEN_ENCRYPTION_KEY: 'short',
    }
    const res = await ask(new M3terTokenBroker(state, env), '/token', { key: 'k', waitMs: 0 })
    const text = await res.text()
    expect(res.status).toBe(500)
    expect(JSON.parse(text)).toEqual({ code: 'invalid_options' })
    expect(text).not.toContain('the-api-secret')
  })

  it('answers a request that is not its protocol with 4xx', async () => {
    const env = { M3TER_API_KEY: 'id', M3TER_API_SECRET: 'secret' }
    const broker = new M3terTokenBroker(state, env)
    expect((await broker.fetch(new Request(`${BROKER_ORIGIN}/token`))).status).toBe(405)
    expect((await ask(broker, '/token', 'not an object')).status).toBe(400)
    expect((await ask(broker, '/elsewhere', { key: 'k' })).status).toBe(404)
    // A key of another Service User is declined, never served this one's token.
    expect((await ask(broker, '/token', { key: 'm3ter-auth:v1:https://x/oauth/token:other' })).status).toBe(
      409,
    )
  })
})
