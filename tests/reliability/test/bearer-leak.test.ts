import { createTokenProvider, isM3terAuthError } from '@m3ter-auth/core'
import { type ForeignServer, type RedirectStatus, startForeignServer } from '@m3ter-auth/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS, type AdapterName } from './support/drivers.ts'
import { bearerOf, createRig, type Rig } from './support/rig.ts'
import { trackUnhandled, turn } from './support/unhandled.ts'

// Part 3 of issue 7: the bearer goes to the provider's scope only. For every adapter: a request to a
// foreign host, redirects from m3ter's API to a foreign host (every redirect status, GET and body-carrying
// POST), to another port of the same host, and to the same port under another host name (localhost vs
// 127.0.0.1 are different origins), never carry it. The foreign server records every header it gets.
// Plain-http downgrades cannot be staged on loopback (http is allowed there); instead a scope entry with
// another scheme shows that the scheme is part of the origin, and core refuses non-loopback http outright.

const unhandled = trackUnhandled()
let foreign: ForeignServer

beforeAll(async () => {
  foreign = await startForeignServer()
})
afterAll(async () => {
  unhandled.stop()
  await foreign.close()
})
afterEach(async () => {
  await turn()
  expect(unhandled.seen).toEqual([])
})

/** Runs `body` with a fresh rig and then checks what the foreign server and every mock origin saw. */
async function withRig(adapter: AdapterName, body: (rig: Rig) => Promise<void>): Promise<void> {
  const rig = await createRig(adapter)
  foreign.reset()
  try {
    await body(rig)
    // Neither a bearer nor Basic credentials ever reached the foreign server.
    for (const request of foreign.requests) {
      expect(request.headers.authorization).toBeUndefined()
    }
    // Basic goes only to the token endpoint, bearers never do.
    for (const entry of rig.m3ter.log) {
      const scheme = entry.headers.authorization?.split(' ')[0]?.toLowerCase()
      if (entry.origin === 'token') expect(scheme).not.toBe('bearer')
      else expect(scheme).not.toBe('basic')
    }
    for (const token of rig.m3ter.issuedTokens) expect(JSON.stringify(foreign.requests)).not.toContain(token)
  } finally {
    await rig.close()
  }
}

const apiPath = (rig: Rig) => `${rig.m3ter.apiUrl}/organizations/${rig.m3ter.orgId}/meters?pageSize=1`
const redirects: Array<[RedirectStatus, 'GET' | 'POST']> = [
  [301, 'GET'],
  [302, 'GET'],
  [303, 'GET'],
  [307, 'GET'],
  [308, 'GET'],
  [307, 'POST'],
  [308, 'POST'],
]

describe.each(ADAPTERS)('%s', (adapter) => {
  it('a request to a foreign host carries no bearer', async () => {
    await withRig(adapter, async (rig) => {
      // A token exists, so a leak would have something to leak.
      expect((await rig.settle(rig.driver.request(rig.meters()))).status).toBe(200)
      const res = await rig.driver.request({ url: `${foreign.url}/collect?x=1` })
      expect(res.status).toBe(200)
      const res2 = await rig.driver.request({
        method: 'POST',
        url: `${foreign.url}/collect`,
        body: '{"a":1}',
      })
      expect(res2.status).toBe(200)
      expect(foreign.requests).toHaveLength(2)
    })
  })

  it.each(redirects)(
    'a %i redirect of a %s from the API to a foreign host drops the bearer',
    async (status, method) => {
      await withRig(adapter, async (rig) => {
        rig.m3ter.faults.inject('api', { kind: 'redirect', location: `${foreign.url}/landing`, status })
        const res = await rig.settle(
          rig.driver.request({
            method,
            url: apiPath(rig),
            ...(method === 'POST' ? { body: '{"a":1}' } : {}),
          }),
        )
        expect(res.status).toBe(200)
        expect(foreign.requests).toHaveLength(1)
        // The first hop, to the API, did carry it: the check above is not vacuous.
        expect(bearerOf(rig.m3ter.log.find((e) => e.origin === 'api'))).toBe(rig.m3ter.issuedTokens[0])
      })
    },
  )

  it('a redirect to the same host on another port (out of scope) drops the bearer', async () => {
    const rig = await createRig(adapter, { mock: { separateTokenOrigin: true } })
    try {
      const ingest = `${rig.m3ter.ingestUrl}/organizations/${rig.m3ter.orgId}/echo`
      // Same server, other port: ingest is in scope; the token endpoint's port is not.
      const tokenOrigin = new URL(rig.m3ter.tokenUrl).origin
      expect(rig.auth.inScope(ingest)).toBe(true)
      expect(rig.auth.inScope(`${tokenOrigin}/anything`)).toBe(false)
      rig.m3ter.faults.inject('api', { kind: 'redirect', location: `${tokenOrigin}/not-found`, status: 307 })
      const res = await rig.settle(rig.driver.request({ url: apiPath(rig) }))
      expect(res.status).toBe(404)
      const hop = rig.m3ter.log.find((e) => e.origin === 'token' && e.url === '/not-found')
      expect(hop).toBeDefined()
      expect(hop?.headers.authorization).toBeUndefined()
    } finally {
      await rig.close()
    }
  })

  it('a redirect to localhost:<port> from a 127.0.0.1 origin (another origin, same socket) drops the bearer', async () => {
    await withRig(adapter, async (rig) => {
      const port = new URL(foreign.url).port
      rig.m3ter.faults.inject('api', {
        kind: 'redirect',
        location: `http://localhost:${port}/landing`,
        status: 302,
      })
      const res = await rig.settle(rig.driver.request({ url: apiPath(rig) }))
      expect(res.status).toBe(200)
      expect(foreign.requests).toHaveLength(1)
      expect(foreign.requests[0]!.headers.host).toBe(`localhost:${port}`)
    })
    // The same API server under its other name: same socket, other origin, so still no bearer.
    await withRig(adapter, async (rig) => {
      const apiPort = new URL(rig.m3ter.apiUrl).port
      const alias = `http://localhost:${apiPort}/organizations/${rig.m3ter.orgId}/meters?pageSize=1`
      expect(rig.auth.inScope(alias)).toBe(false)
      rig.m3ter.faults.inject('api', { kind: 'redirect', location: alias, status: 307 })
      const res = await rig.settle(rig.driver.request({ url: apiPath(rig) }))
      // The API refuses the bearer-less hop (403): the bearer was not sent to the alias origin, and the
      // adapter must not count that 403 against the token either (no token request after the first).
      expect(res.status).toBe(403)
      const aliasHop = rig.m3ter.log.find(
        (e) => e.origin === 'api' && e.headers.host === `localhost:${apiPort}`,
      )
      expect(aliasHop).toBeDefined()
      expect(aliasHop?.headers.authorization).toBeUndefined()
      expect(rig.m3ter.stats.tokenRequests).toBe(1)
    })
  })

  it('a scope entry with another scheme (https) does not cover the http origin of the same host and port', async () => {
    const rig = await createRig(adapter)
    try {
      const { host } = new URL(rig.m3ter.apiUrl)
      const httpsOnly = createTokenProvider({
        credentials: rig.m3ter.keys[0]!,
        tokenUrl: rig.m3ter.tokenUrl,
        scope: [`https://${host}`],
        clock: rig.clock,
      })
      expect(httpsOnly.inScope(apiPath(rig))).toBe(false)
      await httpsOnly.close()
    } finally {
      await rig.close()
    }
  })
})

describe('plain http outside loopback', () => {
  it('is refused as a scope entry and as a token URL, and never in scope', () => {
    const credentials = { accessKeyId: 'k', apiSecret: 's' }
    for (const options of [
      { scope: ['http://api.m3ter.com'] },
      { tokenUrl: 'http://api.m3ter.com/oauth/token' },
    ]) {
      let error: unknown
      try {
        createTokenProvider({ credentials, ...options })
      } catch (caught) {
        error = caught
      }
      expect(isM3terAuthError(error) && error.code).toBe('insecure_url')
    }
    // An empty scope is refused too: a provider must name the origins it trusts.
    expect(() => createTokenProvider({ credentials, scope: [] })).toThrow(/scope/)
    const auth = createTokenProvider({ credentials })
    // A downgrade of an in-scope https origin to http is another origin, and insecure besides.
    expect(auth.inScope('https://api.m3ter.com/organizations/o/meters')).toBe(true)
    expect(auth.inScope('http://api.m3ter.com/organizations/o/meters')).toBe(false)
    expect(auth.inScope('https://api.m3ter.com:8443/x')).toBe(false)
    expect(auth.inScope('https://api.m3ter.com.evil.example/x')).toBe(false)
  })
})
