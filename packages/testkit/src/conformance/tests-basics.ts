import type { SuiteContext } from './context.ts'
import { listMeters } from './context.ts'

/** §4.1 to §4.4: one token, reused, single-flight, refreshed ahead in the background. */
export function basicsTests({ test, harness, expect }: SuiteContext): void {
  test('4.1', 'first request fetches one token and sends Bearer', async () => {
    const h = await harness()
    const res = await h.send(listMeters(h))
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body).data).toHaveLength(5)
    expect(h.m3ter.stats.tokenRequests).toBe(1)
    const [entry] = h.apiLog()
    expect(entry?.headers.authorization).toBe(`Bearer ${h.m3ter.issuedTokens[0]}`)
  })

  test('4.1', 'the token request is Basic base64(UTF-8 key:secret) with client_credentials', async () => {
    const key = { accessKeyId: 'conformance-ключ', apiSecret: 'sécret ✓ with spaces' }
    const h = await harness({ mock: { keys: [key] } })
    expect((await h.send(listMeters(h))).status).toBe(200)
    const tokenRequest = h.m3ter.log.find((entry) => entry.origin === 'token')
    const basic = Buffer.from(`${key.accessKeyId}:${key.apiSecret}`, 'utf8').toString('base64')
    expect(tokenRequest?.headers.authorization).toBe(`Basic ${basic}`)
    expect(tokenRequest?.body).toContain('client_credentials')
  })

  test('4.2', 'later requests reuse the token while it is fresh', async () => {
    const h = await harness()
    for (let i = 0; i < 3; i++) expect((await h.send(listMeters(h))).status).toBe(200)
    await h.clock.advance(60 * 60 * 1000)
    for (let i = 0; i < 3; i++) expect((await h.send(listMeters(h))).status).toBe(200)
    expect(h.m3ter.stats.tokenRequests).toBe(1)
    expect(new Set(h.apiLog().map((entry) => entry.headers.authorization)).size).toBe(1)
  })

  test('4.3', 'N=20 concurrent requests on a cold provider cause exactly one token request', async () => {
    const h = await harness()
    const answers = await h.settle(
      Promise.all(
        Array.from({ length: 20 }, (_, i) => h.driver.request({ method: 'GET', url: h.api(`/echo?i=${i}`) })),
      ),
    )
    expect(answers.map((res) => res.status)).toEqual(Array(20).fill(200))
    expect(h.m3ter.stats.tokenRequests).toBe(1)
    const bearers = new Set(h.apiLog().map((entry) => h.bearerOf(entry)))
    expect([...bearers]).toEqual([h.m3ter.issuedTokens[0]])
  })

  test(
    '4.4',
    'past the refresh point a request is served at once with the old token; one background refresh follows',
    async () => {
      const h = await harness()
      expect((await h.send(listMeters(h))).status).toBe(200)
      const first = h.lastFetched()
      const oldToken = h.m3ter.issuedTokens[0]
      // Hold the refresh: if the request waited for it, it could not complete while held.
      h.m3ter.faults.inject('token', { kind: 'hold' })
      await h.clock.advanceTo(first.refreshAt + 1)
      expect(h.clock.now()).toBeLessThan(first.expiresAt)
      const res = await h.driver.request(listMeters(h))
      expect(res.status).toBe(200)
      expect(h.bearerOf(h.apiLog().at(-1)!)).toBe(oldToken)
      await h.until(() => h.m3ter.faults.held() === 1, 'the background token request')
      expect(h.m3ter.stats.tokenRequests).toBe(2)
      // more demand while the refresh is in flight is still served with the old token, no extra refresh
      expect((await h.driver.request(listMeters(h))).status).toBe(200)
      expect(h.m3ter.stats.tokenRequests).toBe(2)
      h.m3ter.faults.release()
      await h.until(
        () => h.events.filter((event) => event.type === 'token_fetched').length === 2,
        'the refresh',
      )
      expect((await h.send(listMeters(h))).status).toBe(200)
      expect(h.bearerOf(h.apiLog().at(-1)!)).toBe(h.m3ter.issuedTokens[1])
      expect(h.m3ter.stats.tokenRequests).toBe(2)
    },
  )

  test('4.4', 'only a truly expired token makes a caller wait for a new one', async () => {
    const h = await harness()
    expect((await h.send(listMeters(h))).status).toBe(200)
    await h.clock.advanceTo(h.lastFetched().expiresAt + 1)
    h.m3ter.faults.inject('token', { kind: 'hold' })
    let settled = false
    const pending = h.driver.request(listMeters(h)).finally(() => {
      settled = true
    })
    await h.until(() => h.m3ter.faults.held() === 1, 'the token request')
    expect(settled).toBe(false)
    h.m3ter.faults.release()
    const res = await h.settle(pending)
    expect(res.status).toBe(200)
    expect(h.bearerOf(h.apiLog().at(-1)!)).toBe(h.m3ter.issuedTokens[1])
  })
}
