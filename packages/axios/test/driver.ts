import { Readable } from 'node:stream'
import type { AdapterDriver, DriverRequest } from '@m3ter-auth/testkit'
import type { AxiosInstance } from 'axios'

/** Drives an axios instance for the conformance suite: every status resolves, bodies come back as text. */
export function axiosDriver(instance: AxiosInstance): AdapterDriver {
  return {
    async request(req: DriverRequest) {
      const headers: Record<string, string> = { ...req.headers }
      if (req.body?.contentType) headers['content-type'] = req.body.contentType
      const data = req.body
        ? req.body.kind === 'stream'
          ? Readable.from([Buffer.from(req.body.text)])
          : req.body.text
        : undefined
      const res = await instance.request<string>({
        method: req.method,
        url: req.url,
        headers,
        data,
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
