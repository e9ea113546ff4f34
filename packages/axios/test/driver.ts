import { Readable } from 'node:stream'
import type { AdapterDriver, DriverBody, DriverRequest } from '@m3ter-auth/testkit'
import type { AxiosInstance } from 'axios'

/** Drives an axios instance for the conformance suite: every status resolves, bodies come back as text. */
export function axiosDriver(instance: AxiosInstance): AdapterDriver {
  return {
    async request(req: DriverRequest) {
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
        validateStatus: () => true,
        maxRedirects: 5,
      })
      const out: Record<string, string> = {}
      for (const [name, value] of Object.entries(res.headers))
        if (value != null) out[name.toLowerCase()] = String(value)
      return { status: res.status, headers: out, body: String(res.data ?? '') }
    },
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
