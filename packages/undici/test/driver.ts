import { Readable } from 'node:stream'
import type { TokenProvider } from '@m3ter-auth/core'
import type { AdapterDriver, DriverRequest } from '@m3ter-auth/testkit'
import { m3terAuthInterceptor } from '@m3ter-auth/undici'
import type * as Undici from 'undici'

/** undici 7 or 8: both are driven through the same API. */
export type UndiciModule = typeof Undici

/**
 * The conformance driver: undici's `request()` through an Agent composed with the interceptor and then
 * the redirect interceptor (listed after, so it is the outer one and every hop passes the bearer check).
 */
export function undiciDriver(undici: UndiciModule, auth: TokenProvider): AdapterDriver {
  const agent = new undici.Agent()
  const dispatcher = agent.compose(
    m3terAuthInterceptor(auth),
    undici.interceptors.redirect({ maxRedirections: 3 }),
  )
  return {
    async request(req: DriverRequest) {
      const headers: Record<string, string> = { ...req.headers }
      if (req.body?.contentType) headers['content-type'] = req.body.contentType
      const body =
        req.body?.kind === 'stream' ? Readable.from([Buffer.from(req.body.text)]) : (req.body?.text ?? null)
      const res = await undici.request(req.url, {
        method: req.method as Undici.Dispatcher.HttpMethod,
        headers,
        body,
        dispatcher,
        ...(req.signal ? { signal: req.signal } : {}),
      })
      return { status: res.statusCode, headers: flatHeaders(res.headers), body: await res.body.text() }
    },
    // Idempotent: the suite may close a driver itself before the harness closes it again.
    close: once(() => agent.close()),
  }
}

/** The same through undici's fetch, with the composed agent as its dispatcher. */
export function undiciFetchDriver(undici: UndiciModule, auth: TokenProvider): AdapterDriver {
  const agent = new undici.Agent()
  const dispatcher = agent.compose(m3terAuthInterceptor(auth))
  return {
    async request(req: DriverRequest) {
      const headers: Record<string, string> = { ...req.headers }
      if (req.body?.contentType) headers['content-type'] = req.body.contentType
      const res = await undici.fetch(req.url, {
        method: req.method,
        headers,
        dispatcher,
        ...(req.body?.kind === 'stream'
          ? { body: Readable.from([Buffer.from(req.body.text)]), duplex: 'half' as const }
          : req.body
            ? { body: req.body.text }
            : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      })
      const answer: Record<string, string> = {}
      res.headers.forEach((value, name) => {
        answer[name] = value
      })
      return { status: res.status, headers: answer, body: await res.text() }
    },
    // Idempotent: the suite may close a driver itself before the harness closes it again.
    close: once(() => agent.close()),
  }
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined
  return () => {
    closing ??= close()
    return closing
  }
}
