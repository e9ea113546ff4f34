import { Readable } from 'node:stream'
import type { TokenProvider } from '@m3ter-auth/core'
import type { AdapterDriver, DriverBody, DriverRequest } from '@m3ter-auth/testkit'
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
      const { body, contentType } = undiciBody(req.body, undici.FormData as unknown as typeof FormData)
      // The caller's own headers object goes in as it is: the adapter must not write to it.
      const headers = contentType ? { ...req.headers, 'content-type': contentType } : req.headers
      const res = await undici.request(req.url, {
        method: req.method as Undici.Dispatcher.HttpMethod,
        ...(headers ? { headers } : {}),
        body: body as never,
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
      const contentType =
        req.body?.contentType ?? (req.body?.kind === 'json' ? 'application/json' : undefined)
      const headers = contentType ? { ...req.headers, 'content-type': contentType } : req.headers
      const res = await undici.fetch(req.url, {
        method: req.method,
        ...(headers ? { headers } : {}),
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

// request() takes strings, bytes, FormData and streams; URLSearchParams go as their string form.
// undici's own FormData: request() of the npm undici does not read the FormData of Node's bundled one.
function undiciBody(
  body: DriverBody | undefined,
  Form: typeof FormData,
): { body: unknown; contentType: string | undefined } {
  const contentType = body?.contentType
  switch (body?.kind) {
    case undefined:
      return { body: null, contentType }
    case 'json':
      return { body: body.text, contentType: contentType ?? 'application/json' }
    case 'urlencoded':
      return {
        body: String(new URLSearchParams(body.text)),
        contentType: 'application/x-www-form-urlencoded',
      }
    case 'stream':
      return { body: Readable.from([Buffer.from(body.text)]), contentType }
    default:
      return { body: webBody(body as DriverBody, Form), contentType }
  }
}

function webBody(body: DriverBody, Form: typeof FormData = FormData): unknown {
  if (body.kind === 'urlencoded') return new URLSearchParams(body.text)
  if (body.kind === 'bytes') return Buffer.from(body.text)
  if (body.kind !== 'form') return body.text
  const form = new Form()
  for (const [name, value] of new URLSearchParams(body.text)) form.append(name, value)
  return form
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

/**
 * Shared rules undici's fetch() path cannot keep, with why. undici's fetch hands every request body to the
 * dispatcher as a stream (sent once; retrying fetch bodies is the job of @m3ter-auth/fetch wrapped around
 * undici's fetch, which sees the body before it becomes a stream), and follows redirects itself, each hop a
 * new dispatch with a new handler that the interceptor cannot tell from a new request. An oversize ingest
 * body is still sent once there, but its size is unknown to the dispatcher, so its 403 drops the token.
 */
export const FETCH_PATH_SKIPS: readonly string[] = [
  ...['text', 'json', 'urlencoded', 'bytes', 'form'].map((kind) =>
    kind === 'text'
      ? "§4.5 a 'text' body POST is retried after 403 and arrives intact"
      : `§4.5 a '${kind}' body is retried after 403 and arrives intact`,
  ),
  '§4.5 a 403 from the target of a redirect (which never saw the bearer) is not a rejection',
  '§4.6 a 302 redirect to the other in-scope origin carries no bearer there',
  '§4.6 a 307 redirect to the other in-scope origin carries no bearer there',
  '§4.5 an ingest body of 512,000 bytes or more answered 403 is never sent twice',
]
