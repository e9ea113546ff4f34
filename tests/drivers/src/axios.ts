import { Readable } from 'node:stream'
import type { DriverBody } from '@m3ter-auth/testkit'
import type { AxiosInstance } from 'axios'
import type { DriveRequest, Driver } from './request.ts'

/** An axios instance of any 1.x (the floor's types differ in details the driver does not use). */
export type AxiosLike = Pick<AxiosInstance, 'request'>

/**
 * Drives an axios instance (with the adapter attached, or a plain one for a baseline): every status
 * resolves unless `throwHttpErrors`, bodies come back as text.
 *
 * @example
 * ```ts
 * const instance = axios.create()
 * attachM3terAuth(instance, auth)
 * const driver = axiosDriver(instance)
 * ```
 */
export function axiosDriver(instance: AxiosLike): Driver {
  return {
    async request(req: DriveRequest) {
      const contentType = req.body?.contentType
      // The caller's own headers object goes in as it is: the adapter must not write to it.
      const headers = contentType ? { ...req.headers, 'content-type': contentType } : req.headers
      const res = await instance.request<string>({
        method: req.method,
        url: req.url,
        ...(headers ? { headers } : {}),
        data: req.body ? axiosBody(req.body) : undefined,
        ...(req.signal ? { signal: req.signal } : {}),
        responseType: 'text',
        transformResponse: [(body: unknown) => body],
        ...(req.throwHttpErrors ? {} : { validateStatus: () => true }),
        maxRedirects: req.followRedirects === false ? 0 : 5,
      })
      const out: Record<string, string> = {}
      for (const [name, value] of Object.entries(res.headers))
        if (value != null) out[name.toLowerCase()] = String(value)
      return { status: res.status, headers: out, body: String(res.data ?? '') }
    },
    close: async () => {},
  }
}

function axiosBody(body: DriverBody): unknown {
  switch (body.kind) {
    case 'json':
      return JSON.parse(body.text)
    case 'urlencoded':
      return new URLSearchParams(body.text)
    case 'bytes':
      return Buffer.from(body.text)
    case 'form': {
      const form = new FormData()
      for (const [name, value] of new URLSearchParams(body.text)) form.append(name, value)
      return form
    }
    case 'stream':
      return Readable.from([Buffer.from(body.text)])
    default:
      return body.text
  }
}
