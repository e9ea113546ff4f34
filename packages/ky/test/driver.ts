import { inspect } from 'node:util'
import { m3terAuth } from '@m3ter-auth/ky'
import type { AdapterDriver, ConformanceOptions, DriverBody, DriverRequest } from '@m3ter-auth/testkit'

/** The part of a ky instance (1 or 2) the driver calls. */
export type KyLike = (url: string, options: Record<string, unknown>) => PromiseLike<Response>

/** Drives a ky instance for the conformance suite: ky's own retries off, every status resolves. */
export function kyDriver(client: KyLike): AdapterDriver {
  return {
    async request(req: DriverRequest) {
      const contentType = req.body?.contentType
      // The caller's own headers object goes in as it is: the adapter must not write to it.
      const headers = contentType ? { ...req.headers, 'content-type': contentType } : req.headers
      const res = await client(req.url, {
        method: req.method,
        ...(headers ? { headers } : {}),
        ...(req.body ? kyBody(req.body) : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        throwHttpErrors: false,
        retry: { limit: 0 },
      })
      const out: Record<string, string> = {}
      res.headers.forEach((value, name) => {
        out[name] = value
      })
      return { status: res.status, headers: out, body: await res.text() }
    },
  }
}

function kyBody(body: DriverBody): Record<string, unknown> {
  switch (body.kind) {
    case 'json':
      return { json: JSON.parse(body.text) }
    case 'urlencoded':
      return { body: new URLSearchParams(body.text) }
    case 'bytes':
      return { body: new TextEncoder().encode(body.text) }
    case 'form': {
      const form = new FormData()
      for (const [name, value] of new URLSearchParams(body.text)) form.append(name, value)
      return { body: form }
    }
    case 'stream':
      return {
        body: new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(body.text))
            controller.close()
          },
        }),
      }
    default:
      return { body: body.text }
  }
}

type KyModule = { extend(options: object): (url: string, options?: object) => Promise<Response> }

/** What only ky has: its own error classes, which carry ky's Request. */
export function kyConformance(ky: KyModule): ConformanceOptions {
  return {
    additionalTests({ test, harness, expect }) {
      test(
        '4.10',
        "ky's TimeoutError and HTTPError show no bearer, even to inspect with showHidden",
        async () => {
          const h = await harness()
          const client = ky.extend({ ...m3terAuth(h.auth), retry: { limit: 0 } })
          expect((await h.settle(client(h.api('/meters')))).status).toBe(200)
          // ky's own timer (1 ms) ends a request the mock holds: a TimeoutError made by ky, not by us.
          h.m3ter.faults.inject('api', { kind: 'hold' })
          const timeout = await client(h.api('/meters'), { timeout: 1 }).catch((e: unknown) => e)
          h.m3ter.faults.release()
          expect((timeout as Error).name).toBe('TimeoutError')
          h.m3ter.faults.inject('api', { kind: 'status', status: 500 })
          const http = await client(h.api('/meters')).catch((e: unknown) => e)
          expect((http as Error).name).toBe('HTTPError')
          const [token] = h.m3ter.issuedTokens
          for (const error of [timeout, http])
            for (const view of [JSON.stringify(error), inspect(error), inspect(error, { showHidden: true })])
              expect(view).not.toContain(token)
        },
      )
    },
  }
}
