import { type GotLike, sentOnce } from '@m3ter-auth/drivers'
import { m3terAuthHooks } from '@m3ter-auth/got'
import type { ConformanceOptions } from '@m3ter-auth/testkit/vitest'

/**
 * The suite's options for got: what only got has (generator bodies, got.stream()) as additional tests, and
 * the one shared rule got keeps differently, tested as it is. got encodes a FormData body into a one-shot
 * stream before any hook runs, so a FormData body is sent once; its rejected token is still dropped.
 */
export function gotConformance(got: GotLike & { extend(options: object): GotLike }): ConformanceOptions {
  return {
    differs: { "§4.5 a 'form' body is retried after 403 and arrives intact": sentOnce('form') },
    additionalTests({ test, harness, expect }) {
      test('4.5', 'a generator body (sync or async) is one-shot: the caller gets the first 403', async () => {
        const h = await harness()
        const client = got.extend({
          hooks: m3terAuthHooks(h.auth),
          retry: { limit: 0 },
          throwHttpErrors: false,
        })
        function* sync() {
          yield Buffer.from('sync generator body')
        }
        async function* asynchronous() {
          yield Buffer.from('async generator body')
        }
        for (const body of [sync, asynchronous]) {
          expect((await h.settle(Promise.resolve(client(h.api('/meters'), {})))).statusCode).toBe(200)
          h.m3ter.revokeAll()
          const res = await h.settle(
            Promise.resolve(client(h.api('/echo'), { method: 'POST', body: body() })),
          )
          expect(res.statusCode).toBe(403)
        }
        const posts = h.apiLog().filter((entry) => entry.method === 'POST')
        expect(posts.map((entry) => [entry.status, entry.body])).toEqual([
          [403, 'sync generator body'],
          [403, 'async generator body'],
        ])
      })
    },
  }
}
