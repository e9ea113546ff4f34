import { isTokenRejected, type TokenProvider } from '@m3ter-auth/core'
import axios, {
  type AxiosAdapter,
  AxiosHeaders,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios'

type AdapterSpec = InternalAxiosRequestConfig['adapter']
type BeforeRedirect = NonNullable<InternalAxiosRequestConfig['beforeRedirect']>

// Wrappers this module made, mapped to what they wrap: a config that comes back through the interceptor
// (axios-retry and user code re-send `error.config`) is unwrapped first, so nothing is wrapped twice and a
// request is still retried at most once.
const wrappedAdapters = new WeakMap<AxiosAdapter, AdapterSpec>()
const wrappedRedirects = new WeakMap<BeforeRedirect, BeforeRedirect | undefined>()

/**
 * Adds m3ter Service User authentication to one axios instance and returns a function that removes it.
 * Requests to origins in the provider's scope get `Authorization: Bearer <token>`; every other request is
 * left exactly as made. A 401 or 403 for the token sent invalidates it and retries the request once with
 * a new one (one-shot stream bodies excepted); the second answer goes to the caller as axios gives it.
 * The default `axios` export is never touched: attach to the instance you pass.
 *
 * @example
 * ```ts
 * import axios from 'axios'
 * import { createTokenProvider } from '@m3ter-auth/core'
 * import { attachM3terAuth } from '@m3ter-auth/axios'
 *
 * const auth = createTokenProvider({ credentials: { accessKeyId, apiSecret } })
 * const api = axios.create({ baseURL: `https://api.m3ter.com/organizations/${orgId}` })
 * const detach = attachM3terAuth(api, auth)
 * const { data } = await api.get('/meters')
 * detach()
 * ```
 */
export function attachM3terAuth(instance: AxiosInstance, auth: TokenProvider): () => void {
  const id = instance.interceptors.request.use(async (config) => {
    const url = fullUrl(config)
    if (!auth.inScope(url)) return config
    // `config` is axios's per-request merge of defaults and the caller's options, so setting fields on it
    // changes neither the caller's object nor the instance defaults.
    // getToken after inScope rather than authorize: the URL is parsed once on this hot path.
    config.headers.set('Authorization', `Bearer ${await auth.getToken({ signal: abortSignalOf(config) })}`)
    config.beforeRedirect = guardRedirects(unwrapRedirect(config.beforeRedirect), url)
    // The retry lives in the adapter, below every interceptor: the caller's interceptors see one request
    // and one answer, as without this package.
    config.adapter = retrying(unwrapAdapter(config.adapter), auth, url)
    return config
  })
  return () => instance.interceptors.request.eject(id)
}

function retrying(inner: AdapterSpec, auth: TokenProvider, url: string): AxiosAdapter {
  const attempt = async (config: InternalAxiosRequestConfig, send: AxiosAdapter): Promise<AxiosResponse> => {
    let first: AxiosResponse
    try {
      first = await send(config)
    } catch (error) {
      const response = (error as { response?: AxiosResponse }).response
      if (!response || !isTokenRejected(response.status)) throw error
      const retried = await retryOnce(config, response, send, auth, url)
      if (retried === undefined) throw error
      return retried
    }
    // validateStatus may accept a 401/403, so a rejected token can also arrive here.
    if (!isTokenRejected(first.status)) return first
    return (await retryOnce(config, first, send, auth, url)) ?? first
  }
  const adapter: AxiosAdapter = async (config) => {
    try {
      return await attempt(config, axios.getAdapter(inner ?? axios.defaults.adapter))
    } catch (error) {
      throw withoutBearer(error)
    }
  }
  wrappedAdapters.set(adapter, inner)
  return adapter
}

async function retryOnce(
  config: InternalAxiosRequestConfig,
  response: AxiosResponse,
  send: AxiosAdapter,
  auth: TokenProvider,
  url: string,
): Promise<AxiosResponse | undefined> {
  const sent = String(config.headers.get('Authorization') ?? '')
  if (!sent.startsWith('Bearer ')) return undefined
  // Followed to another origin: that server never saw the bearer, so its 401 says nothing about the token.
  const finalUrl = (response.request as { res?: { responseUrl?: unknown } } | undefined)?.res?.responseUrl
  if (typeof finalUrl === 'string' && new URL(finalUrl).origin !== new URL(url).origin) return undefined
  auth.invalidate(sent.slice('Bearer '.length))
  // The Node adapter would send a consumed stream again as an empty body: the caller gets the first answer.
  if (isOneShot(config.data)) return undefined
  const authorization = await auth.authorize(url, { signal: abortSignalOf(config) })
  if (authorization === undefined) return undefined
  destroyBody(response.data)
  // A fresh config and headers: the caller's `error.config` keeps describing the request it made.
  const headers = AxiosHeaders.from(config.headers).set('Authorization', authorization)
  return send({ ...config, headers })
}

// AxiosError#toJSON and util.inspect show `config`, headers and all, and util.inspect (console.log) also
// shows `request`, Node's ClientRequest whose raw head holds the Authorization line: a logged error must
// not carry the bearer. The header is taken off the config (the request interceptor sets it again if the
// caller re-sends `error.config`, as axios-retry does), and `request` stays readable but is no longer
// enumerable, so inspect leaves it out.
function withoutBearer(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error
  const { config, response } = error as {
    config?: { headers?: unknown }
    response?: { config?: { headers?: unknown } }
  }
  for (const holder of [error, response]) {
    if (holder && Object.prototype.propertyIsEnumerable.call(holder, 'request')) {
      Object.defineProperty(holder, 'request', { enumerable: false })
    }
  }
  for (const headers of [config?.headers, response?.config?.headers] as Array<
    Partial<AxiosHeaders> | undefined
  >) {
    // Duck-typed: AxiosHeaders of another copy of axios fail instanceof.
    if (
      typeof headers?.get === 'function' &&
      String(headers.get('Authorization') ?? '').startsWith('Bearer ')
    ) {
      headers.delete?.('Authorization')
    }
  }
  return error
}

function guardRedirects(user: BeforeRedirect | undefined, url: string): BeforeRedirect {
  // axios >= 1.13 and follow-redirects drop Authorization on most cross-origin hops, but older releases keep
  // it for a subdomain or a different port; the bearer belongs to the one origin it was made for.
  const guard: BeforeRedirect = (options, responseDetails, requestDetails) => {
    const target = (options as { href?: string }).href
    if (typeof target !== 'string' || new URL(target).origin !== new URL(url).origin) {
      const headers = (options as { headers?: Record<string, unknown> }).headers ?? {}
      for (const name of Object.keys(headers))
        if (name.toLowerCase() === 'authorization') delete headers[name]
    }
    user?.(options, responseDetails, requestDetails)
  }
  wrappedRedirects.set(guard, user)
  return guard
}

function unwrapAdapter(spec: AdapterSpec): AdapterSpec {
  return typeof spec === 'function' && wrappedAdapters.has(spec) ? wrappedAdapters.get(spec) : spec
}

function unwrapRedirect(hook: BeforeRedirect | undefined): BeforeRedirect | undefined {
  return hook && wrappedRedirects.has(hook) ? wrappedRedirects.get(hook) : hook
}

// axios joins baseURL and url itself later; only the origin matters here, and computing it directly is
// cheaper than `instance.getUri`, which merges the whole config again on every request.
function fullUrl(config: InternalAxiosRequestConfig): string {
  const url = config.url ?? ''
  const base = config.baseURL
  const absolute = /^([a-z][a-z\d+\-.]*:)?\/\//i.test(url)
  if (!base || (absolute && config.allowAbsoluteUrls !== false)) return url
  return url ? `${base.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}` : base
}

function abortSignalOf(config: InternalAxiosRequestConfig): AbortSignal | undefined {
  return config.signal instanceof AbortSignal ? config.signal : undefined
}

function isOneShot(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return false
  const body = data as { pipe?: unknown; getReader?: unknown; [Symbol.asyncIterator]?: unknown }
  return (
    typeof body.pipe === 'function' ||
    typeof body.getReader === 'function' ||
    typeof body[Symbol.asyncIterator] === 'function'
  )
}

function destroyBody(data: unknown): void {
  const stream = data as { destroy?: () => void } | null
  if (stream && typeof stream.destroy === 'function') stream.destroy()
}
