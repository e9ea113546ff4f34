import type { AdapterDriver, DriverRequest } from '@m3ter-auth/testkit'

/** The part of a ky instance (1 or 2) the driver calls. */
export type KyLike = (url: string, options: Record<string, unknown>) => PromiseLike<Response>

/** Drives a ky instance for the conformance suite: ky's own retries off, every status resolves. */
export function kyDriver(client: KyLike): AdapterDriver {
  return {
    async request(req: DriverRequest) {
      const headers: Record<string, string> = { ...req.headers }
      if (req.body?.contentType) headers['content-type'] = req.body.contentType
      const text = req.body?.text ?? ''
      const body = req.body
        ? req.body.kind === 'stream'
          ? new ReadableStream<Uint8Array>({
              start(controller) {
                controller.enqueue(new TextEncoder().encode(text))
                controller.close()
              },
            })
          : text
        : undefined
      const res = await client(req.url, {
        method: req.method,
        headers,
        ...(body === undefined ? {} : { body }),
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
