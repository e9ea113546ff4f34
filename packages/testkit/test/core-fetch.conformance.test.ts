import { Readable } from 'node:stream'
import type { TokenProvider } from '@m3ter-auth/core'
import { type AdapterDriver, type DriverRequest, describeAdapterConformance } from '../src/index.ts'

// core's own fetch path, as an adapter would use it: authorize, send, and on 401/403 invalidate that token,
// ask again and retry once (only when the body can be sent twice).
function coreFetchDriver(auth: TokenProvider): AdapterDriver {
  const send = async (req: DriverRequest, bearer: string | undefined, body: BodyInit | undefined) => {
    const headers = new Headers(req.headers)
    if (req.body?.contentType) headers.set('content-type', req.body.contentType)
    if (bearer) headers.set('authorization', bearer)
    const init: RequestInit & { duplex?: 'half' } = { method: req.method, headers, redirect: 'follow' }
    if (body !== undefined) init.body = body
    if (body instanceof ReadableStream) init.duplex = 'half'
    if (req.signal) init.signal = req.signal
    return fetch(req.url, init)
  }
  const bodyOf = (req: DriverRequest): BodyInit | undefined => {
    if (!req.body) return undefined
    if (req.body.kind === 'text') return req.body.text
    return Readable.toWeb(Readable.from([Buffer.from(req.body.text)])) as ReadableStream
  }
  return {
    async request(req) {
      const options = req.signal ? { signal: req.signal } : {}
      const bearer = await auth.authorize(req.url, options)
      let res = await send(req, bearer, bodyOf(req))
      if (bearer && (res.status === 401 || res.status === 403) && req.body?.kind !== 'stream') {
        await res.body?.cancel()
        auth.invalidate(bearer.slice('Bearer '.length))
        res = await send(req, await auth.authorize(req.url, options), bodyOf(req))
      }
      const headers: Record<string, string> = {}
      res.headers.forEach((value, name) => {
        headers[name] = value
      })
      return { status: res.status, headers, body: await res.text() }
    },
  }
}

describeAdapterConformance('core fetch path', coreFetchDriver)
