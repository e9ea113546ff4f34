import type { DriverBody } from '@m3ter-auth/testkit'
import type { DriveRequest, Driver } from './request.ts'

/** The part of a ky instance (1 or 2) the driver calls. */
export type KyLike = (url: string, options: Record<string, unknown>) => PromiseLike<Response>

/**
 * Drives a ky instance (extended with the adapter's hooks, or a plain one for a baseline): ky's own retries
 * off, every status resolves unless `throwHttpErrors`.
 *
 * @example
 * ```ts
 * const driver = kyDriver(ky.extend(m3terAuth(auth)) as unknown as KyLike)
 * ```
 */
export function kyDriver(client: KyLike): Driver {
  return {
    async request(req: DriveRequest) {
      const contentType = req.body?.contentType
      // The caller's own headers object goes in as it is: the adapter must not write to it.
      const headers = contentType ? { ...req.headers, 'content-type': contentType } : req.headers
      const res = await client(req.url, {
        method: req.method,
        ...(headers ? { headers } : {}),
        ...(req.body ? kyBody(req.body) : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        throwHttpErrors: req.throwHttpErrors === true,
        ...(req.followRedirects === false ? { redirect: 'manual' } : {}),
        retry: { limit: 0 },
      })
      const out: Record<string, string> = {}
      res.headers.forEach((value, name) => {
        out[name] = value
      })
      return { status: res.status, headers: out, body: await res.text() }
    },
    close: async () => {},
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
