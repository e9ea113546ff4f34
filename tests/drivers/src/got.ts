import { Readable } from 'node:stream'
import type { DriverBody } from '@m3ter-auth/testkit'
import type { DriveRequest, Driver } from './request.ts'

/** The part of a got instance (14 or 16) the driver calls. */
export type GotLike = (
  url: string,
  options: Record<string, unknown>,
) => PromiseLike<{ statusCode: number; headers: Record<string, unknown>; body: unknown }>

/**
 * Drives a got instance (extended with the adapter's hooks, or a plain one for a baseline): got's own
 * retries off, every status resolves unless `throwHttpErrors`.
 *
 * @example
 * ```ts
 * const driver = gotDriver(got.extend({ hooks: m3terAuthHooks(auth) }) as unknown as GotLike)
 * ```
 */
export function gotDriver(client: GotLike): Driver {
  return {
    async request(req: DriveRequest) {
      const contentType = req.body?.contentType
      // The caller's own headers object goes in as it is: the adapter must not write to it.
      const headers = contentType ? { ...req.headers, 'content-type': contentType } : req.headers
      const res = await client(req.url, {
        method: req.method,
        ...(headers ? { headers } : {}),
        ...(req.body ? gotBody(req.body) : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        throwHttpErrors: req.throwHttpErrors === true,
        ...(req.followRedirects === false ? { followRedirect: false } : {}),
        retry: { limit: 0 },
        responseType: 'text',
      })
      const out: Record<string, string> = {}
      for (const [name, value] of Object.entries(res.headers)) if (value != null) out[name] = String(value)
      return { status: res.statusCode, headers: out, body: String(res.body) }
    },
    close: async () => {},
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
