import { Readable } from 'node:stream'
import { m3terAuthHooks } from '@m3ter-auth/got'
import type { AdapterDriver, ConformanceOptions, DriverBody, DriverRequest } from '@m3ter-auth/testkit'

/** The part of a got instance (14 or 16) the driver calls. */
export type GotLike = (
  url: string,
  options: Record<string, unknown>,
) => PromiseLike<{ statusCode: number; headers: Record<string, unknown>; body: unknown }>

/** Drives a got instance for the conformance suite: got's own retries off, every status resolves. */
export function gotDriver(client: GotLike): AdapterDriver {
  return {
    async request(req: DriverRequest) {
      const contentType = req.body?.contentType
      // The caller's own headers object goes in as it is: the adapter must not write to it.
      const headers = contentType ? { ...req.headers, 'content-type': contentType } : req.headers
      const res = await client(req.url, {
        method: req.method,
        ...(headers ? { headers } : {}),
        ...(req.body ? gotBody(req.body) : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        throwHttpErrors: false,
        retry: { limit: 0 },
        responseType: 'text',
      })
      const out: Record<string, string> = {}
      for (const [name, value] of Object.entries(res.headers)) if (value != null) out[name] = String(value)
      return { status: res.statusCode, headers: out, body: String(res.body) }
    },
  }
}

function gotBody(body: DriverBody): Record<string, unknown> {
  switch (body.kind) {
    case 'json':
      return { json: JSON.parse(body.text) }
    case 'urlencoded':
      return { form: Object.fromEntries(groups(new URLSearchParams(body.text))) }
    case 'bytes':
      return { body: Buffer.from(body.text) }
    case 'form': {
      const form = new FormData()
      for (const [name, value] of new URLSearchParams(body.text)) form.append(name, value)
      return { body: form }
    }
    case 'stream':
      return { body: Readable.from([Buffer.from(body.text)]) }
    default:
      return { body: body.text }
  }
}

// got's `form` takes a record; repeated names become arrays.
function groups(params: URLSearchParams): Map<string, string | string[]> {
  const out = new Map<string, string | string[]>()
  for (const name of new Set(params.keys())) {
    const all = params.getAll(name)
    out.set(name, all.length === 1 ? (all[0] as string) : all)
  }
  return out
}

/**
 * The suite's options for got: what only got has (generator bodies, got.stream()) as additional tests, and
 * the one shared rule got cannot keep. got encodes a FormData body into a one-shot stream before any hook
 * runs, so a FormData body is sent once; its rejected token is still dropped.
 */
export function gotConformance(got: GotLike & { extend(options: object): GotLike }): ConformanceOptions {
  return {
    skip: ["§4.5 a 'form' body is retried after 403 and arrives intact"],
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
