import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTokenProvider, isM3terAuthError, type TokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'
import {
  createManualClock,
  createProviderFor,
  type ForeignServer,
  type MockM3ter,
  startForeignServer,
  startMockM3ter,
} from '@m3ter-auth/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

let m3ter: MockM3ter
let foreign: ForeignServer
let auth: TokenProvider
let calls: { input: unknown; init: unknown }[]
let f: typeof fetch

// The wrapped fetch is the real global one; this only records what reached it.
const recordingFetch: typeof fetch = (input, init) => {
  calls.push({ input, init })
  return fetch(input, init)
}

beforeEach(async () => {
  const clock = createManualClock()
  m3ter = await startMockM3ter({ clock })
  foreign = await startForeignServer()
  auth = createProviderFor(m3ter, { clock })
  calls = []
  f = withM3terAuth(auth, recordingFetch)
})

afterEach(async () => {
  await auth.close()
  await m3ter.close()
  await foreign.close()
})

const api = (path: string) => `${m3ter.apiUrl}/organizations/${m3ter.orgId}${path}`
const apiLog = () => m3ter.log.filter((entry) => entry.origin === 'api' || entry.origin === 'ingest')
const bearerOf = (index: number) => apiLog()[index]?.headers.authorization

async function echoed(
  res: Response,
): Promise<{ body: string; contentType: string | null; headers: Record<string, string> }> {
  expect(res.status).toBe(200)
  return (await res.json()) as { body: string; contentType: string | null; headers: Record<string, string> }
}

describe('withM3terAuth: scope', () => {
  it("replaces the caller's own Authorization on an in-scope URL with the provider's bearer", async () => {
    const headers = { Authorization: 'Bearer mine', 'x-user': 'u' }
    const res = await f(api('/echo'), { headers })
    expect(res.status).toBe(200)
    expect(bearerOf(0)).toBe(`Bearer ${m3ter.issuedTokens[0]}`)
    expect(m3ter.log[m3ter.log.length - 1]?.headers['x-user']).toBe('u')
    expect(headers.Authorization).toBe('Bearer mine')
    expect(m3ter.stats.tokenRequests).toBe(1)
  })
})

describe('withM3terAuth: retry after 401/403', () => {
  it('a Request with a body is retried from a clone, the body intact', async () => {
    expect((await f(api('/meters'))).status).toBe(200)
    m3ter.revokeAll()
    const request = new Request(api('/echo'), {
      method: 'POST',
      body: 'from a Request',
      headers: { 'x-user': 'u' },
    })
    const echo = await echoed(await f(request))
    expect(echo.body).toBe('from a Request')
    expect(echo.headers['x-user']).toBe('u')
    expect(request.headers.has('authorization')).toBe(false)
  })

  it('a Request plus init: init headers and body win, as in fetch', async () => {
    const request = new Request(api('/echo'), {
      method: 'POST',
      body: 'ignored',
      headers: { 'x-a': 'request' },
    })
    const echo = await echoed(await f(request, { body: 'from init', headers: { 'x-b': 'init' } }))
    expect(echo.body).toBe('from init')
    expect(echo.headers['x-a']).toBeUndefined()
    expect(echo.headers['x-b']).toBe('init')
  })

  it('the discarded 403 body is cancelled, not awaited: an endless 403 does not block the retry', async () => {
    let connections = 0
    const server: Server = createServer((req, res) => {
      if (req.headers.authorization === `Bearer ${m3ter.issuedTokens[1]}`) return void res.end('ok')
      res.writeHead(401, { 'content-type': 'text/plain' })
      const timer = setInterval(() => res.write('x'.repeat(1024)), 1)
      res.on('close', () => clearInterval(timer))
    })
    server.on('connection', () => connections++)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const local = createTokenProvider({
      credentials: m3ter.keys[0]!,
      tokenUrl: m3ter.tokenUrl,
      scope: [origin],
    })
    try {
      const res = await withM3terAuth(local)(`${origin}/x`)
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('ok')
      expect(connections).toBeGreaterThanOrEqual(1)
    } finally {
      await local.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

describe('withM3terAuth: redirects, followed hop by hop', () => {
  it('a 307 keeps the body of a Request and the bearer on the same origin, but not at the token path', async () => {
    m3ter.faults.inject('api', { kind: 'redirect', location: api('/echo'), status: 307 })
    const request = new Request(api('/meters'), { method: 'POST', body: 'from a Request' })
    const echo = await echoed(await f(request))
    expect(echo.body).toBe('from a Request')
    expect(bearerOf(1)).toBe(`Bearer ${m3ter.issuedTokens[0]}`)

    m3ter.faults.inject('api', { kind: 'redirect', location: `${m3ter.apiUrl}/oauth/token/`, status: 307 })
    const res = await f(api('/meters'), { method: 'POST', body: 'to the token path' })
    expect(res.redirected).toBe(true)
    const hop = m3ter.log.at(-1)
    expect(hop?.url).toBe('/oauth/token/')
    expect(hop?.body).toBe('to the token path')
    expect(hop?.headers.authorization).toBeUndefined()
    // That answer came from a request without our bearer: it says nothing about the token.
    expect(m3ter.stats.tokenRequests).toBe(1)
  })
})

describe('withM3terAuth: body size', () => {
  it('a FormData of 300,000 × é (over 600,000 bytes on the wire) answered 403 is sent once', async () => {
    const measurements = `${m3ter.ingestUrl}/organizations/${m3ter.orgId}/measurements`
    const form = () => {
      const data = new FormData()
      data.append('measurements', 'é'.repeat(300_000))
      return data
    }
    expect((await new Response(form()).arrayBuffer()).byteLength).toBeGreaterThan(600_000)
    m3ter.revokeAll()
    const res = await f(measurements, { method: 'POST', body: form() })
    expect(res.status).toBe(403)
    expect(m3ter.stats.oversizeBodies).toBe(1)
    expect(apiLog().filter((entry) => entry.method === 'POST')).toHaveLength(1)
    expect(m3ter.stats.tokenRequests).toBe(1)
  })
})

describe('withM3terAuth: hygiene', () => {
  it("never writes to the caller's init or headers", async () => {
    const headers = new Headers({ 'x-user': 'kept' })
    const init = Object.freeze({ method: 'POST', headers, body: 'x' })
    expect((await f(api('/echo'), init)).status).toBe(200)
    m3ter.revokeAll()
    expect((await f(api('/echo'), init)).status).toBe(200)
    expect(Object.fromEntries(headers as unknown as Iterable<[string, string]>)).toEqual({ 'x-user': 'kept' })
    expect(apiLog()[2]?.headers['x-user']).toBe('kept')
    const plain = { 'x-user': 'kept' }
    await f(api('/echo'), { headers: plain })
    expect(plain).toEqual({ 'x-user': 'kept' })
  })

  it('composes with a user wrapper on either side', async () => {
    const tagging =
      (next: typeof fetch): typeof fetch =>
      (input, init) => {
        const headers = new Headers(init?.headers)
        headers.set('x-trace', 'abc')
        return next(input, { ...init, headers })
      }
    const inner = withM3terAuth(auth, tagging(fetch))
    const outer = tagging(withM3terAuth(auth))
    for (const wrapped of [inner, outer]) {
      const echo = await echoed(await wrapped(api('/echo')))
      expect(echo.headers['x-trace']).toBe('abc')
    }
    expect(apiLog().every((e) => e.headers.authorization === `Bearer ${m3ter.issuedTokens[0]}`)).toBe(true)
  })

  it("aborting during the token wait rejects with the signal's reason; others still get the token", async () => {
    m3ter.faults.inject('token', { kind: 'hold' })
    const controller = new AbortController()
    const aborted = f(api('/meters'), { signal: controller.signal })
    const other = f(api('/meters'))
    while (m3ter.faults.held() < 1) await new Promise((resolve) => setImmediate(resolve))
    const reason = new Error('user gave up')
    controller.abort(reason)
    await expect(aborted).rejects.toBe(reason)
    m3ter.faults.release()
    expect((await other).status).toBe(200)
    expect(apiLog()).toHaveLength(1)
  })

  it('an abort signal on a Request input is honoured too', async () => {
    m3ter.faults.inject('token', { kind: 'hold' })
    const controller = new AbortController()
    const aborted = f(new Request(api('/meters'), { signal: controller.signal }))
    while (m3ter.faults.held() < 1) await new Promise((resolve) => setImmediate(resolve))
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' })
    m3ter.faults.release()
  })

  it('a token failure rejects with the M3terAuthError itself', async () => {
    m3ter.deactivateKey(m3ter.keys[0]!.accessKeyId)
    const error = await f(api('/meters')).catch((e: unknown) => e)
    expect(isM3terAuthError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'invalid_credentials' })
    expect(apiLog()).toHaveLength(0)
  })
})
