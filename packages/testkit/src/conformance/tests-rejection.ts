import type { SuiteContext } from './context.ts'
import { listMeters } from './context.ts'

/** §4.5: a rejected bearer is refreshed once and each request retried once; never a loop. */
export function rejectionTests({ test, harness, expect, supports }: SuiteContext): void {
  test(
    '4.5',
    '403 for the current token: one refresh for several concurrent failures, each retried once',
    async () => {
      const h = await harness()
      expect((await h.send(listMeters(h))).status).toBe(200)
      h.m3ter.revokeAll()
      const answers = await h.settle(
        Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            h.driver.request({ method: 'GET', url: h.api(`/echo?i=${i}`) }),
          ),
        ),
      )
      expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200])
      expect(h.m3ter.stats.tokenRequests).toBe(2)
      expect(h.m3ter.stats.bearerRejections).toBe(5)
      expect(h.m3ter.stats.apiRetries).toBe(5)
      for (let i = 0; i < 5; i++) {
        const tries = h.apiLog().filter((entry) => entry.url.endsWith(`/echo?i=${i}`))
        expect(tries.map((entry) => entry.status)).toEqual([403, 200])
        expect(h.bearerOf(tries[1]!)).toBe(h.m3ter.issuedTokens[1])
      }
    },
  )

  test('4.5', '401 is treated like 403 (refresh once, retry once)', async () => {
    const h = await harness({ mock: { rejectStatus: 401 } })
    expect((await h.send(listMeters(h))).status).toBe(200)
    h.m3ter.revokeAll()
    expect((await h.send(listMeters(h))).status).toBe(200)
    expect(h.m3ter.stats.tokenRequests).toBe(2)
    expect(h.m3ter.stats.apiRequestsByStatus).toEqual({ 200: 2, 401: 1 })
  })

  test('4.5', 'a second 403 goes back to the caller as it came, with no loop', async () => {
    const h = await harness()
    expect((await h.send(listMeters(h))).status).toBe(200)
    h.m3ter.faults.inject('api', { kind: 'status', status: 403, body: '{"message":"second"}' }, { times: 2 })
    const res = await h.send(listMeters(h))
    expect(res.status).toBe(403)
    expect(JSON.parse(res.body)).toEqual({ message: 'second' })
    expect(h.m3ter.stats.apiRequests).toBe(3)
    expect(h.m3ter.stats.tokenRequests).toBe(2)
  })

  test(
    '4.5',
    'a refreshed token that is also rejected: the caller gets the second 403, no loop',
    async () => {
      const h = await harness()
      expect((await h.send(listMeters(h))).status).toBe(200)
      h.m3ter.revokeAll()
      h.m3ter.faults.inject('token', { kind: 'rejected-token' }, { times: Number.POSITIVE_INFINITY })
      const res = await h.send(listMeters(h))
      expect(res.status).toBe(403)
      expect(JSON.parse(res.body)).toEqual({ message: expect.any(String) })
      expect(h.m3ter.stats.apiRequests).toBe(3)
      expect(h.m3ter.stats.tokenRequests).toBe(2)
    },
  )

  test('4.5', "a 'text' body POST is retried after 403 and arrives intact", async () => {
    const h = await harness()
    expect((await h.send(listMeters(h))).status).toBe(200)
    h.m3ter.revokeAll()
    const text = JSON.stringify({ greeting: 'héllo ✓', n: [1, 2, 3] })
    const res = await h.send({
      method: 'POST',
      url: h.api('/echo'),
      body: { kind: 'text', text, contentType: 'application/json' },
    })
    expect(res.status).toBe(200)
    const echo = JSON.parse(res.body)
    expect(echo.body).toBe(text)
    expect(echo.contentType).toMatch(/^application\/json/)
    const posts = h.apiLog().filter((entry) => entry.method === 'POST')
    expect(posts.map((entry) => entry.status)).toEqual([403, 200])
    expect(posts.map((entry) => entry.body)).toEqual([text, text])
  })

  if (supports.streamBody)
    test('4.5', "a 'stream' body is not retried: the caller gets the first 403", async () => {
      const h = await harness()
      expect((await h.send(listMeters(h))).status).toBe(200)
      h.m3ter.revokeAll()
      const res = await h.send({
        method: 'POST',
        url: h.api('/echo'),
        body: { kind: 'stream', text: 'one-shot stream body', contentType: 'text/plain' },
      })
      expect(res.status).toBe(403)
      const posts = h.apiLog().filter((entry) => entry.method === 'POST')
      expect(posts).toHaveLength(1)
      expect(posts[0]?.body).toBe('one-shot stream body')
    })
}
