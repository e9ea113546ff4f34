import { Readable } from 'node:stream'
import type { AdapterDriver, DriverRequest } from '@m3ter-auth/testkit'

/** The part of a got instance (14 or 16) the driver calls. */
export type GotLike = (
  url: string,
  options: Record<string, unknown>,
) => PromiseLike<{ statusCode: number; headers: Record<string, unknown>; body: unknown }>

/** Drives a got instance for the conformance suite: got's own retries off, every status resolves. */
export function gotDriver(client: GotLike): AdapterDriver {
  return {
    async request(req: DriverRequest) {
      const headers: Record<string, string> = { ...req.headers }
      if (req.body?.contentType) headers['content-type'] = req.body.contentType
      const body = req.body
        ? req.body.kind === 'stream'
          ? Readable.from([Buffer.from(req.body.text)])
          : req.body.text
        : undefined
      const res = await client(req.url, {
        method: req.method,
        headers,
        ...(body === undefined ? {} : { body }),
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
