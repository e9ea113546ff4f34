import { inspect } from 'node:util'
import type { SuiteContext } from './context.ts'
import { listMeters } from './context.ts'
import type { DriverBody } from './driver.ts'
import type { Harness } from './harness.ts'

const FIELDS = 'greeting=h%C3%A9llo+%E2%9C%93&n=1&m=2'

// Multipart boundaries are chosen afresh for every encoding: compare bodies with the boundary blanked.
const sameBody = (body: string | undefined) => {
  const boundary = /^--(\S+)/.exec(body ?? '')?.[1]
  return boundary ? (body ?? '').split(boundary).join('BOUNDARY') : body
}

const secretViews = (value: unknown) => [
  JSON.stringify(value) ?? '',
  inspect(value),
  inspect(value, { showHidden: true }),
  String(value),
]

/** §4.5 and §4.6 for what a request carries: every replayable body kind, the caller's objects, redirects. */
export function requestTests({ test, harness, expect, supports }: SuiteContext): void {
  const retried: Array<[DriverBody['kind'], (echo: { body: string; contentType: string | null }) => void]> = [
    ['json', (echo) => expect(JSON.parse(echo.body)).toEqual({ greeting: 'héllo ✓', n: [1, 2] })],
    [
      'urlencoded',
      (echo) =>
        expect(Object.fromEntries(new URLSearchParams(echo.body))).toEqual({
          greeting: 'héllo ✓',
          n: '1',
          m: '2',
        }),
    ],
    ['bytes', (echo) => expect(echo.body).toBe(FIELDS)],
    [
      'form',
      // Not the content-type: axios's fetch adapter labels FormData urlencoded, with or without us.
      (echo) => expect(echo.body).toContain('héllo ✓'),
    ],
  ]
  for (const [kind, check] of retried)
    test('4.5', `a '${kind}' body is retried after 403 and arrives intact`, async () => {
      const h = await harness()
      expect((await h.send(listMeters(h))).status).toBe(200)
      h.m3ter.revokeAll()
      const text = kind === 'json' ? JSON.stringify({ greeting: 'héllo ✓', n: [1, 2] }) : FIELDS
      const res = await h.send({ method: 'POST', url: h.api('/echo'), body: { kind, text } })
      expect(res.status).toBe(200)
      check(JSON.parse(res.body))
      const posts = h.apiLog().filter((entry) => entry.method === 'POST')
      expect(posts.map((entry) => entry.status)).toEqual([403, 200])
      expect(sameBody(posts[1]?.body)).toBe(sameBody(posts[0]?.body))
      const contentType = (i: number) =>
        posts[i]?.headers['content-type']?.replace(/boundary=\S+/, 'boundary=B')
      expect(contentType(1)).toBe(contentType(0))
      expect(h.m3ter.stats.tokenRequests).toBe(2)
    })

  if (supports.streamBody)
    test('4.5', "a 'stream' body is not retried, but its rejected token is still dropped", async () => {
      const h = await harness()
      expect((await h.send(listMeters(h))).status).toBe(200)
      h.m3ter.revokeAll()
      const body: DriverBody = { kind: 'stream', text: 'one-shot', contentType: 'text/plain' }
      expect((await h.send({ method: 'POST', url: h.api('/echo'), body })).status).toBe(403)
      expect(h.apiLog().filter((entry) => entry.method === 'POST')).toHaveLength(1)
      // The next request goes out with a new token at once: no second 403 was needed to learn it.
      expect((await h.send(listMeters(h))).status).toBe(200)
      expect(h.m3ter.stats.tokenRequests).toBe(2)
      expect(h.apiLog().map((entry) => entry.status)).toEqual([200, 403, 200])
    })

  test('4.5', "the caller's headers object is not written to, on the first try or the retry", async () => {
    const h = await harness()
    expect((await h.send(listMeters(h))).status).toBe(200)
    h.m3ter.revokeAll()
    const headers = Object.freeze({ 'x-trace': 'caller', authorization: 'Bearer callers-own' })
    const res = await h.send({ method: 'GET', url: h.api('/echo'), headers })
    expect(res.status).toBe(200)
    expect(headers).toEqual({ 'x-trace': 'caller', authorization: 'Bearer callers-own' })
    for (const entry of h.apiLog().slice(1)) expect(entry.headers['x-trace']).toBe('caller')
    expect(h.bearerOf(h.apiLog().at(-1)!)).toBe(h.m3ter.issuedTokens[1])
  })

  test(
    '4.5',
    'a 403 from the target of a redirect (which never saw the bearer) is not a rejection',
    async () => {
      const h = await harness()
      expect((await h.send(listMeters(h))).status).toBe(200)
      // A 303 after a POST, to the other in-scope origin: that origin gets no bearer and says 403.
      h.m3ter.faults.inject('api', { kind: 'redirect', location: h.ingest('/echo'), status: 303 })
      const body: DriverBody = { kind: 'text', text: 'sent once', contentType: 'text/plain' }
      const res = await h.send({ method: 'POST', url: h.api('/echo'), body })
      expect([303, 403]).toContain(res.status)
      expect(h.apiLog().filter((entry) => entry.method === 'POST')).toHaveLength(1)
      // Handed back: no hop; followed: exactly one, which carried no bearer.
      const hops = h.apiLog().filter((entry) => entry.origin === 'ingest')
      expect(hops.map((hop) => hop.headers.authorization)).toEqual(res.status === 303 ? [] : [undefined])
      expect(h.m3ter.stats.tokenRequests).toBe(1)
      expect(h.auth.snapshot().status).toBe('fresh')
    },
  )

  for (const status of [302, 307] as const)
    test('4.6', `a ${status} redirect to the other in-scope origin carries no bearer there`, async () => {
      const h = await harness()
      expect((await h.send(listMeters(h))).status).toBe(200)
      h.m3ter.faults.inject('api', { kind: 'redirect', location: h.ingest('/echo'), status })
      const res = await h.send({ method: 'GET', url: h.api('/meters') })
      // Handed back: no hop; followed: exactly one, which carried no bearer (so the other origin said 403).
      expect([status, 403]).toContain(res.status)
      const hops = h.apiLog().filter((entry) => entry.origin === 'ingest')
      expect(hops.map((hop) => hop.headers.authorization)).toEqual(res.status === status ? [] : [undefined])
      expect(h.m3ter.stats.tokenRequests).toBe(1)
    })

  test(
    '4.10',
    'an error the client lets through shows no bearer, even to inspect with showHidden',
    async () => {
      const h = await harness()
      expect((await h.send(listMeters(h))).status).toBe(200)
      h.m3ter.faults.inject('api', { kind: 'drop' })
      const error = await h.send(listMeters(h)).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(Error)
      const [token] = h.m3ter.issuedTokens
      for (const view of secretViews(error)) expect(view).not.toContain(token)
    },
  )
}

/**
 * Token requests of another client (m3ter's own SDK) pass through untouched and never drop our token. The
 * token endpoint is on the API origin, in scope, as on m3ter.
 */
export function tokenRequestTests({ test, harness, expect }: SuiteContext): void {
  const basicOf = (h: Harness) => {
    const key = h.m3ter.keys[0]!
    return `Basic ${Buffer.from(`${key.accessKeyId}:${key.apiSecret}`, 'utf8').toString('base64')}`
  }
  const tokenBody: DriverBody = {
    kind: 'text',
    text: JSON.stringify({ grant_type: 'client_credentials' }),
    contentType: 'application/json',
  }

  test('4.5', 'a Basic-auth POST to the token endpoint goes out exactly as made', async () => {
    const h = await harness()
    expect((await h.send(listMeters(h))).status).toBe(200)
    const res = await h.send({
      method: 'POST',
      url: h.m3ter.tokenUrl,
      headers: { authorization: basicOf(h) },
      body: tokenBody,
    })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body).token_type).toBe('Bearer')
    const own = h.m3ter.log.filter((entry) => entry.origin === 'token')
    expect(own.map((entry) => entry.headers.authorization)).toEqual([basicOf(h), basicOf(h)])
    // Ours is still the token in use: nothing was dropped.
    expect((await h.send(listMeters(h))).status).toBe(200)
    expect(h.bearerOf(h.apiLog().at(-1)!)).toBe(h.m3ter.issuedTokens[0])
  })

  test(
    '4.5',
    'a refused token request of the caller (bad secret) drops nothing and is not retried',
    async () => {
      const h = await harness()
      expect((await h.send(listMeters(h))).status).toBe(200)
      const bad = `Basic ${Buffer.from('someone:wrong', 'utf8').toString('base64')}`
      const res = await h.send({
        method: 'POST',
        url: h.m3ter.tokenUrl,
        headers: { authorization: bad },
        body: tokenBody,
      })
      expect(res.status).toBe(401)
      expect(h.m3ter.stats.tokenRequests).toBe(2)
      expect(h.auth.snapshot().status).toBe('fresh')
      expect((await h.send(listMeters(h))).status).toBe(200)
      expect(h.m3ter.stats.tokenRequests).toBe(2)
    },
  )

  test('4.5', 'a request to the token endpoint without credentials gets no bearer', async () => {
    const h = await harness()
    const res = await h.send({ method: 'POST', url: h.m3ter.tokenUrl, body: tokenBody })
    expect(res.status).toBe(401)
    const [entry] = h.m3ter.log.filter((e) => e.origin === 'token')
    expect(entry?.headers.authorization).toBeUndefined()
    expect(h.m3ter.stats.tokenRequests).toBe(1)
  })

  test('4.5', 'a Basic-auth request to another in-scope URL is left as made too', async () => {
    const h = await harness()
    const res = await h.send({ method: 'GET', url: h.api('/meters'), headers: { authorization: basicOf(h) } })
    expect(res.status).toBe(403)
    expect(h.apiLog()[0]?.headers.authorization).toBe(basicOf(h))
    expect(h.m3ter.stats.tokenRequests).toBe(0)
  })
}
