import type { TokenPool, TokenProvider } from '@m3ter-auth/core'
import { sentOnce, type UndiciDriverOptions } from '@m3ter-auth/drivers'
import type { ConformanceOptions, SuiteContext } from '@m3ter-auth/testkit/vitest'
import { m3terAuthInterceptor } from '@m3ter-auth/undici'

/**
 * The drivers' options that plug this adapter in: its interceptor for the provider.
 *
 * @example
 * ```ts
 * describeAdapterConformance('undici 7 request()', (auth) => undiciDriver(undici, withAdapter(auth)))
 * ```
 */
export function withAdapter(auth: TokenProvider | TokenPool): UndiciDriverOptions {
  return { interceptor: () => m3terAuthInterceptor(auth) }
}

/**
 * Shared rules undici's fetch() path keeps differently, each replaced by a test of what it does instead.
 * undici's fetch hands every request body to the dispatcher as a stream (sent once; retrying fetch bodies is
 * the job of @m3ter-auth/fetch wrapped around undici's fetch, which sees the body before it becomes a
 * stream), and follows redirects itself, each hop a new dispatch with a new handler that the interceptor
 * cannot tell from a new request. An oversize ingest body is sent once there too.
 */
export const FETCH_PATH_DIFFERENCES: NonNullable<ConformanceOptions['differs']> = {
  "§4.5 a 'text' body POST is retried after 403 and arrives intact": sentOnce('text', 'application/json'),
  ...Object.fromEntries(
    (['json', 'urlencoded', 'bytes', 'form'] as const).map((kind) => [
      `§4.5 a '${kind}' body is retried after 403 and arrives intact`,
      sentOnce(kind),
    ]),
  ),
  '§4.5 a 403 from the target of a redirect (which never saw the bearer) is not a rejection': {
    instead: 'fetch follows a 303 itself: the hop is a new in-scope GET that carries the same token',
    async test({ harness, expect }) {
      const h = await harness()
      h.m3ter.faults.inject('api', { kind: 'redirect', location: h.ingest('/echo'), status: 303 })
      const body = { kind: 'text', text: 'sent once', contentType: 'text/plain' } as const
      expect((await h.send({ method: 'POST', url: h.api('/echo'), body })).status).toBe(200)
      const hops = h.apiLog().map((entry) => [entry.origin, entry.method, entry.status, h.bearerOf(entry)])
      const [token] = h.m3ter.issuedTokens
      expect(hops).toEqual([
        ['api', 'POST', 303, token],
        ['ingest', 'GET', 200, token],
      ])
      expect(h.m3ter.stats.tokenRequests).toBe(1)
      expect(h.auth.snapshot().status).toBe('fresh')
    },
  },
  ...Object.fromEntries(
    ([302, 307] as const).map((status) => [
      `§4.6 a ${status} redirect to the other in-scope origin carries no bearer there`,
      {
        instead: `fetch follows a ${status} itself: the one hop to the other in-scope origin carries the same token`,
        async test({ harness, expect }: SuiteContext) {
          const h = await harness()
          h.m3ter.faults.inject('api', { kind: 'redirect', location: h.ingest('/echo'), status })
          expect((await h.send({ method: 'GET', url: h.api('/meters') })).status).toBe(200)
          const hops = h.apiLog().map((entry) => [entry.origin, entry.status, h.bearerOf(entry)])
          const [token] = h.m3ter.issuedTokens
          expect(hops).toEqual([
            ['api', status, token],
            ['ingest', 200, token],
          ])
          expect(h.m3ter.stats.tokenRequests).toBe(1)
        },
      },
    ]),
  ),
  '§4.5 an ingest body of 512,000 bytes or more answered 403 is never sent twice': {
    instead: 'an ingest body of 512,000 bytes or more is sent once; after a revocation the next GET recovers',
    async test({ harness, expect }) {
      const h = await harness()
      const measurement = { uid: 'u', meter: 'calls', account: 'acme', ts: '2026-01-01T00:00:00Z' }
      const json = (text: string) =>
        ({
          method: 'POST',
          url: h.ingest('/measurements'),
          body: { kind: 'text', text, contentType: 'application/json' },
        }) as const
      const small = json(JSON.stringify({ measurements: [measurement] }))
      const big = json(
        JSON.stringify({ measurements: [{ ...measurement, who: { pad: 'x'.repeat(512_000) } }] }),
      )
      expect((await h.send(small)).status).toBe(200)
      // m3ter refuses it whatever the token: sent once, the caller gets the 403, the token is kept.
      expect((await h.send(big)).status).toBe(403)
      expect((await h.send(small)).status).toBe(200)
      expect(h.m3ter.stats.oversizeBodies).toBe(1)
      expect(h.m3ter.stats.tokenRequests).toBe(1)
      // Revoked meanwhile: every body here is one-shot, so each POST goes out once and its 403 reaches the
      // caller; the next request carries a new token at once.
      h.m3ter.revokeAll()
      expect((await h.send(big)).status).toBe(403)
      expect((await h.send(small)).status).toBe(403)
      expect((await h.send({ method: 'GET', url: h.api('/meters') })).status).toBe(200)
      expect(h.apiLog().map((entry) => [entry.origin, entry.status])).toEqual([
        ['ingest', 200],
        ['ingest', 403],
        ['ingest', 200],
        ['ingest', 403],
        ['ingest', 403],
        ['api', 200],
      ])
      expect(h.m3ter.stats.tokenRequests).toBe(2)
      expect(h.bearerOf(h.apiLog().at(-1)!)).toBe(h.m3ter.issuedTokens[1])
    },
  },
  '§4.5 a forbidden call, then a revocation, then usage submits: every submit succeeds, one new token': {
    instead:
      'the first submit after the revocation is a one-shot stream here: sent once, its 403 reaches the caller, the next submits carry one new token',
    async test({ harness, expect }) {
      const h = await harness({ mock: { deny: ['GET /organizations/{orgId}/accounts'] } })
      // The forbidden route refuses a new token too: that must not hold off the revocation's refresh.
      expect((await h.send({ method: 'GET', url: h.api('/accounts') })).status).toBe(403)
      expect(h.m3ter.stats.tokenRequests).toBe(2)
      h.m3ter.revokeAll()
      const measurement = { uid: 'u', meter: 'calls', account: 'acme', ts: '2026-01-01T00:00:00Z' }
      const text = JSON.stringify({ measurements: [measurement] })
      const submit = {
        method: 'POST',
        url: h.ingest('/measurements'),
        body: { kind: 'text', text, contentType: 'application/json' },
      } as const
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push((await h.send(submit)).status)
      expect(statuses).toEqual([403, 200, 200, 200])
      expect(h.m3ter.stats.tokenRequests).toBe(3)
    },
  },
}
