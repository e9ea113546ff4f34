import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BODY_GONE,
  type FollowOptions,
  followRedirects,
  followsRedirectsHere,
  initWith,
  isRedirect,
  sendFollowingRedirects,
} from './redirect-hops.ts'

interface Seen {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
  readonly contentType: string | undefined
  readonly body: string
}

// Two real loopback origins: `origin` redirects by its path (/to/<status>/<target>), `other` only echoes.
let origin: string
let other: string
let seen: Seen[] = []
const servers: Server[] = []

async function start(): Promise<string> {
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    const path = req.url ?? '/'
    seen.push({
      method: req.method ?? '',
      path,
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      body,
    })
    const hop = /^\/to\/(\d{3})\/(.*)$/.exec(path)
    if (hop) return void res.writeHead(Number(hop[1]), { location: decodeURIComponent(hop[2]!) }).end()
    if (path === '/loop') return void res.writeHead(302, { location: '/loop' }).end()
    res.end(`${req.method} ${path}`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

beforeAll(async () => {
  origin = await start()
  other = await start()
})
afterAll(async () => {
  for (const server of servers) server.closeAllConnections()
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
})

const to = (status: number, target: string) => `${origin}/to/${status}/${encodeURIComponent(target)}`
const BEARER = 'Bearer t0ken'
const carries = (hop: string) => !/\/oauth\/token/i.test(new URL(hop).pathname)

async function followed(
  url: string,
  init: RequestInit = {},
  bodyAgain: FollowOptions['bodyAgain'] = () => init.body,
) {
  seen = []
  const headers = { authorization: BEARER, ...(init.headers as Record<string, string>) }
  return sendFollowingRedirects(fetch, url, { ...init, headers }, { url, carries, bodyAgain })
}

describe('sendFollowingRedirects', () => {
  it('keeps the bearer on a same-origin hop, drops it on a hop to the token path', async () => {
    const kept = await followed(to(307, '/meters'))
    expect(await kept.response.text()).toBe('GET /meters')
    expect(kept.answeredFrom).toBe('asked')
    expect(kept.response.redirected).toBe(true)
    expect(seen.map((s) => s.authorization)).toEqual([BEARER, BEARER])

    const dropped = await followed(to(307, '/OAuth/Token/'))
    expect(dropped.answeredFrom).toBe('other')
    expect(seen.map((s) => s.authorization)).toEqual([BEARER, undefined])
  })

  it('drops the bearer for good at the first hop to another origin; fetch follows on from there', async () => {
    const { response, answeredFrom } = await followed(to(302, `${other}/x`))
    expect(await response.text()).toBe('GET /x')
    expect(answeredFrom).toBe('other')
    expect(response.url).toBe(`${other}/x`)
    expect(seen.map((s) => s.authorization)).toEqual([BEARER, undefined])
  })

  it('sends the body again on 307 and 308, as a GET without it on 303 and on 301/302 after a POST', async () => {
    const post = { method: 'POST', body: 'héllo', headers: { 'content-type': 'text/plain' } }
    for (const status of [307, 308]) {
      const { response } = await followed(to(status, '/echo'), post)
      expect(await response.text()).toBe('POST /echo')
      expect(seen[1]).toMatchObject({ method: 'POST', body: 'héllo', contentType: 'text/plain' })
    }
    for (const status of [301, 302, 303]) {
      const { response } = await followed(to(status, '/echo'), post)
      expect(await response.text()).toBe('GET /echo')
      expect(seen[1]).toMatchObject({
        method: 'GET',
        body: '',
        contentType: undefined,
        authorization: BEARER,
      })
    }
  })

  it('a FormData sent again gets a content-type that names its new boundary', async () => {
    const form = new FormData()
    form.append('greeting', 'héllo ✓')
    const { response } = await followed(to(307, '/echo'), { method: 'POST', body: form })
    expect(response.status).toBe(200)
    const [first, second] = seen
    expect(second?.body.replaceAll(/formdata-undici-\d+/g, 'B')).toBe(
      first?.body.replaceAll(/formdata-undici-\d+/g, 'B'),
    )
    const boundary = /boundary=(\S+)/.exec(second?.contentType ?? '')?.[1]
    expect(second?.body.startsWith(`--${boundary}`)).toBe(true)
  })

  it('refuses a 307 for a body that cannot be sent again, as fetch does', async () => {
    await expect(
      followed(to(307, '/echo'), { method: 'POST', body: 'once' }, () => BODY_GONE),
    ).rejects.toThrow(TypeError)
    expect(seen).toHaveLength(1)
  })

  it('stops after 20 hops', async () => {
    seen = []
    await expect(followed(`${origin}/loop`)).rejects.toThrow(/too many redirects/)
    expect(seen).toHaveLength(21)
  })

  it("leaves a caller's manual or error redirect mode to fetch", async () => {
    const { response, answeredFrom } = await followed(to(307, '/oauth/token'), { redirect: 'manual' })
    expect(response.status).toBe(307)
    expect(answeredFrom).toBe('asked')
    expect(seen).toHaveLength(1)
  })
})

describe('the parts of sendFollowingRedirects, for an adapter that makes the first send itself', () => {
  it('follows from a first answer the caller got with redirect manual, by the same rules', async () => {
    seen = []
    const url = to(307, '/oauth/token')
    const headers = { authorization: BEARER }
    expect(followsRedirectsHere(url, undefined)).toBe(true)
    const first = initWith(undefined, { headers, redirect: 'manual' })
    const answer = await fetch(url, first)
    expect(isRedirect(answer)).toBe(true)
    const follow = { url, carries, bodyAgain: () => undefined }
    const { response, answeredFrom } = await followRedirects(fetch, answer, url, first, follow)
    expect(answeredFrom).toBe('other')
    expect(await response.text()).toBe('GET /oauth/token')
    expect(seen.map((s) => s.authorization)).toEqual([BEARER, undefined])
  })

  it("leaves a caller's manual or error mode, on init or on a Request, to fetch", () => {
    expect(followsRedirectsHere(origin, { redirect: 'manual' })).toBe(false)
    expect(followsRedirectsHere(origin, { redirect: 'error' })).toBe(false)
    expect(followsRedirectsHere(new Request(origin, { redirect: 'manual' }), undefined)).toBe(false)
    expect(followsRedirectsHere(new Request(origin, { redirect: 'manual' }), { redirect: 'follow' })).toBe(
      true,
    )
  })

  it('tells a redirect by its status and its Location', () => {
    expect(isRedirect(new Response(null, { status: 308, headers: { location: '/x' } }))).toBe(true)
    expect(isRedirect(new Response(null, { status: 308 }))).toBe(false)
    expect(isRedirect(new Response(null, { status: 304, headers: { location: '/x' } }))).toBe(false)
  })

  it("copies the caller's init with the changes on top, and never writes to it", () => {
    const init: RequestInit = { method: 'POST', headers: { a: '1' } }
    const copy = initWith(init, { headers: { b: '2' }, redirect: 'manual' })
    expect(copy).toEqual({ method: 'POST', headers: { b: '2' }, redirect: 'manual' })
    expect(init).toEqual({ method: 'POST', headers: { a: '1' } })
    expect(initWith(undefined, { redirect: 'manual' })).toEqual({ redirect: 'manual' })
  })
})
