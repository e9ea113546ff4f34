import { afterEach, describe, expect, it } from 'vitest'
import {
  createManualClock,
  type ForeignServer,
  type MockM3ter,
  startForeignServer,
  startMockM3ter,
} from '../src/index.ts'
import { call, requestToken, token } from './helpers.ts'

let m3ter: MockM3ter
let foreign: ForeignServer | undefined
afterEach(async () => {
  await m3ter?.close()
  await foreign?.close()
  foreign = undefined
})

describe('fault injection', () => {
  it('status: any status for the next N requests, with Retry-After in seconds or as an HTTP-date', async () => {
    m3ter = await startMockM3ter()
    const fault = m3ter.faults.inject('token', { kind: 'status', status: 503, retryAfter: '2' }, { times: 2 })
    const date = new Date(Date.UTC(2026, 0, 1, 0, 0, 5)).toUTCString()
    m3ter.faults.inject('token', { kind: 'status', status: 429, retryAfter: date })
    const answers = [
      await requestToken(m3ter),
      await requestToken(m3ter),
      await requestToken(m3ter),
      await requestToken(m3ter),
    ]
    expect(answers.map((a) => a.status)).toEqual([503, 503, 429, 200])
    expect(answers[0]?.headers.get('retry-after')).toBe('2')
    expect(answers[2]?.headers.get('retry-after')).toBe(date)
    expect(JSON.parse(answers[0]!.text)).toEqual({ message: expect.any(String) })
    expect(fault.hits).toBe(2)
    expect(fault.remaining).toBe(0)
    expect(m3ter.stats).toMatchObject({
      tokenRequests: 4,
      tokenFailures: 3,
      tokenRetries: 3,
      faultsApplied: 3,
    })
  })

  it('applies per endpoint and until a clock time', async () => {
    const clock = createManualClock()
    m3ter = await startMockM3ter({ orgId: 'org', clock })
    const bearer = await token(m3ter)
    m3ter.faults.inject('api', { kind: 'status', status: 500 }, { until: clock.now() + 1000 })
    const url = `${m3ter.apiUrl}/organizations/org/meters`
    expect((await call(url, { bearer })).status).toBe(500)
    expect((await call(url, { bearer })).status).toBe(500)
    expect((await call(`${m3ter.ingestUrl}/organizations/org/echo`, { bearer })).status).toBe(200)
    expect((await requestToken(m3ter)).status).toBe(200)
    await clock.advance(1000)
    expect((await call(url, { bearer })).status).toBe(200)
    expect(m3ter.stats.apiRequestsByStatus).toEqual({ 200: 2, 500: 2 })
    expect(m3ter.stats.apiRetries).toBe(2)
  })

  it('hang: never answers until the client gives up; close() still frees the port', async () => {
    m3ter = await startMockM3ter()
    m3ter.faults.inject('token', { kind: 'hang' })
    const controller = new AbortController()
    const pending = fetch(m3ter.tokenUrl, { method: 'POST', signal: controller.signal }).catch(
      (e: Error) => e.name,
    )
    await until(() => m3ter.stats.tokenRequests === 1)
    controller.abort()
    expect(await pending).toBe('AbortError')
    m3ter.faults.inject('token', { kind: 'hang' })
    const hung = fetch(m3ter.tokenUrl, { method: 'POST' }).catch(() => 'cut')
    await until(() => m3ter.stats.tokenRequests === 2)
    await m3ter.close()
    expect(await hung).toBe('cut')
  })

  it('hold: answers normally once released', async () => {
    m3ter = await startMockM3ter()
    m3ter.faults.inject('token', { kind: 'hold' }, { times: 2 })
    const a = requestToken(m3ter)
    const b = requestToken(m3ter)
    await until(() => m3ter.faults.held() === 2)
    m3ter.faults.release()
    expect([(await a).status, (await b).status]).toEqual([200, 200])
  })

  it('drop: destroys the socket without an answer', async () => {
    m3ter = await startMockM3ter()
    m3ter.faults.inject('token', { kind: 'drop' })
    await expect(requestToken(m3ter)).rejects.toThrow()
    expect(m3ter.log[0]).toMatchObject({ status: 0, fault: 'drop' })
    expect((await requestToken(m3ter)).status).toBe(200)
  })

  it('slow: answers normally after a small real delay', async () => {
    m3ter = await startMockM3ter()
    m3ter.faults.inject('token', { kind: 'slow', delayMs: 30 })
    const start = performance.now()
    expect((await requestToken(m3ter)).status).toBe(200)
    expect(performance.now() - start).toBeGreaterThanOrEqual(25)
  })

  it('html, non-json, oversize: bodies a token client must refuse', async () => {
    m3ter = await startMockM3ter()
    m3ter.faults.inject('token', { kind: 'html', status: 502 })
    m3ter.faults.inject('token', { kind: 'non-json' })
    m3ter.faults.inject('token', { kind: 'oversize' })
    const html = await requestToken(m3ter)
    expect(html.status).toBe(502)
    expect(html.headers.get('content-type')).toMatch(/text\/html/)
    expect(html.text).toMatch(/<html>/)
    const nonJson = await requestToken(m3ter)
    expect(nonJson.status).toBe(200)
    expect(() => JSON.parse(nonJson.text)).toThrow()
    const big = await requestToken(m3ter)
    expect(Buffer.byteLength(big.text)).toBeGreaterThan(64 * 1024)
    expect(m3ter.stats.tokenFailures).toBe(3)
  })

  it('missing-access-token, token-type, expires-in (0, -1, absurd, missing), rejected-token', async () => {
    m3ter = await startMockM3ter({ orgId: 'org' })
    const faults = [
      { kind: 'missing-access-token' },
      { kind: 'token-type' },
      { kind: 'expires-in', expiresIn: 0 },
      { kind: 'expires-in', expiresIn: -1 },
      { kind: 'expires-in', expiresIn: 1e12 },
      { kind: 'expires-in', expiresIn: 'missing' },
      { kind: 'rejected-token' },
    ] as const
    for (const fault of faults) m3ter.faults.inject('token', fault)
    const bodies = []
    for (const _ of faults) bodies.push(JSON.parse((await requestToken(m3ter)).text))
    expect(bodies[0]).toEqual({ token_type: 'Bearer', expires_in: 18000 })
    expect(bodies[1]).toMatchObject({ token_type: 'mac', access_token: expect.any(String) })
    expect(bodies.slice(2, 5).map((b) => b.expires_in)).toEqual([0, -1, 1e12])
    expect('expires_in' in bodies[5]).toBe(false)
    const rejected = bodies[6].access_token as string
    expect(m3ter.issuedTokens).toContain(rejected)
    const res = await call(`${m3ter.apiUrl}/organizations/org/meters`, { bearer: rejected })
    expect({ status: res.status, json: res.json }).toEqual({
      status: 403,
      json: { message: expect.any(String) },
    })
    expect(m3ter.stats.bearerRejections).toBe(1)
    expect(m3ter.stats.tokenFailures).toBe(6)
  })

  it('redirect: to the foreign server with the chosen 30x; the mock itself never follows', async () => {
    m3ter = await startMockM3ter({ orgId: 'org' })
    foreign = await startForeignServer()
    m3ter.faults.inject('api', { kind: 'redirect', location: `${foreign.url}/landing`, status: 307 })
    const bearer = await token(m3ter)
    const res = await call(`${m3ter.apiUrl}/organizations/org/meters`, { bearer })
    expect(res.status).toBe(307)
    expect(res.headers.get('location')).toBe(`${foreign.url}/landing`)
    const followed = await fetch(`${m3ter.apiUrl}/organizations/org/meters`, {
      headers: { authorization: `Bearer ${bearer}`, 'x-trace': '1' },
    }).catch(() => undefined)
    expect(followed?.status).toBe(200)
    m3ter.faults.inject('api', { kind: 'redirect', location: `${foreign.url}/landing` })
    const viaFetch = await fetch(`${m3ter.apiUrl}/organizations/org/meters`, {
      headers: { authorization: `Bearer ${bearer}` },
    })
    expect(viaFetch.status).toBe(200)
    // fetch strips Authorization across origins: the foreign server proves it
    expect(foreign.requests.at(-1)?.headers.authorization).toBeUndefined()
  })

  it('refuses token-only faults on other endpoints and non-positive times; clear() withdraws all', async () => {
    m3ter = await startMockM3ter()
    expect(() => m3ter.faults.inject('api', { kind: 'rejected-token' } as never)).toThrow(/token endpoint/)
    expect(() => m3ter.faults.inject('token', { kind: 'drop' }, { times: 0 })).toThrow()
    const fault = m3ter.faults.inject(
      'token',
      { kind: 'status', status: 500 },
      { times: Number.POSITIVE_INFINITY },
    )
    expect(m3ter.faults.active()).toHaveLength(1)
    m3ter.faults.clear()
    expect(m3ter.faults.active()).toHaveLength(0)
    expect(fault.remaining).toBe(0)
    expect((await requestToken(m3ter)).status).toBe(200)
    const cancelled = m3ter.faults.inject('token', { kind: 'status', status: 500 })
    cancelled.cancel()
    expect((await requestToken(m3ter)).status).toBe(200)
  })
})

async function until(check: () => boolean) {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > 5000) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}
