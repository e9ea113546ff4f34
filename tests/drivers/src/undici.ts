import { Readable } from 'node:stream'
import type { DriverBody } from '@m3ter-auth/testkit'
import type * as Undici from 'undici'
import type { DriveRequest, Driver } from './request.ts'

/** undici 7 or 8: both are driven through the same API. */
export type UndiciModule = typeof Undici

/**
 * What an undici driver composes: the adapter's interceptor (none for a baseline) on an agent.
 *
 * @example
 * ```ts
 * const options: UndiciDriverOptions = { interceptor: () => m3terAuthInterceptor(auth) }
 * ```
 */
export interface UndiciDriverOptions {
  /** Makes the adapter's interceptor, once for each dispatcher the driver composes. */
  readonly interceptor?: () => Undici.Dispatcher.DispatcherComposeInterceptor
  /** The agent to compose on (default: a new one); the driver closes it. */
  readonly agent?: Undici.Agent
}

/**
 * Drives undici's `request()` through an agent composed with the interceptor and then the redirect
 * interceptor (listed after, so it is the outer one and every hop passes the bearer check); without
 * redirects, the interceptor alone; with `throwHttpErrors`, undici's responseError interceptor outermost
 * (its ResponseError is the counterpart of the other clients' errors). Each dispatcher is composed on first
 * use.
 *
 * @example
 * ```ts
 * const driver = undiciDriver(undici, { interceptor: () => m3terAuthInterceptor(auth) })
 * ```
 */
export function undiciDriver(undici: UndiciModule, options: UndiciDriverOptions = {}): Driver {
  const agent = options.agent ?? new undici.Agent()
  const auth = () => (options.interceptor ? [options.interceptor()] : [])
  const redirect = () => undici.interceptors.redirect({ maxRedirections: 3 })
  const dispatchers = new Map<string, Undici.Dispatcher>()
  const dispatcher = (kind: 'following' | 'direct' | 'throwing') => {
    let made = dispatchers.get(kind)
    if (!made) {
      made =
        kind === 'direct'
          ? agent.compose(...auth())
          : kind === 'following'
            ? agent.compose(...auth(), redirect())
            : agent.compose(...auth(), redirect(), undici.interceptors.responseError())
      dispatchers.set(kind, made)
    }
    return made
  }
  return {
    async request(req: DriveRequest) {
      const { body, contentType } = undiciBody(req.body, undici.FormData as unknown as typeof FormData)
      // The caller's own headers object goes in as it is: the adapter must not write to it.
      const headers = contentType ? { ...req.headers, 'content-type': contentType } : req.headers
      const res = await undici.request(req.url, {
        method: req.method as Undici.Dispatcher.HttpMethod,
        ...(headers ? { headers } : {}),
        body: body as never,
        dispatcher: dispatcher(
          req.throwHttpErrors ? 'throwing' : req.followRedirects === false ? 'direct' : 'following',
        ),
        ...(req.signal ? { signal: req.signal } : {}),
      })
      return { status: res.statusCode, headers: flatHeaders(res.headers), body: await res.body.text() }
    },
    // Idempotent: the suite may close a driver itself before the harness closes it again.
    close: once(() => agent.close()),
  }
}

/**
 * The same through undici's fetch, with the agent composed with the interceptor as its dispatcher.
 *
 * @example
 * ```ts
 * const driver = undiciFetchDriver(undici, { interceptor: () => m3terAuthInterceptor(auth) })
 * ```
 */
export function undiciFetchDriver(undici: UndiciModule, options: UndiciDriverOptions = {}): Driver {
  const agent = options.agent ?? new undici.Agent()
  const dispatcher = agent.compose(...(options.interceptor ? [options.interceptor()] : []))
  return {
    async request(req: DriveRequest) {
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
            ? // Each kind in its native form (FormData, URLSearchParams, bytes), as DriverBody says.
              { body: webBody(req.body, undici.FormData as unknown as typeof FormData) as never }
            : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        ...(req.followRedirects === false ? { redirect: 'manual' as const } : {}),
      })
      const answer: Record<string, string> = {}
      res.headers.forEach((value, name) => {
        answer[name] = value
      })
      const body = await res.text()
      if (req.throwHttpErrors && res.status >= 400) throw new Error(`undici fetch answered ${res.status}`)
      return { status: res.status, headers: answer, body }
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
