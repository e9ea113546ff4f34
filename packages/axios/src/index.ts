import type { TokenPool, TokenProvider } from '@m3ter-auth/core'
import {
  type AnsweredFrom,
  answeredFrom,
  BODY_GONE,
  bearerHeader,
  describeArgument,
  judgeAnswer,
  providerFor,
  requireTokenProvider,
  sendFollowingRedirects,
  shouldAuthorize,
  tokenOfHeader,
} from '@m3ter-auth/core/internals'
import axios, {
  type AxiosAdapter,
  AxiosHeaders,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios'

type Config = InternalAxiosRequestConfig
type AdapterSpec = Config['adapter']
type BeforeRedirect = NonNullable<Config['beforeRedirect']>
type Fetch = typeof globalThis.fetch

// What this module wrapped, mapped to what it wraps: a config that comes back through the interceptor
// (axios-retry and user code re-send `error.config`) is unwrapped first, so nothing is wrapped twice and a
// request is still retried at most once.
const wrapped = new WeakMap<object, unknown>()
// axios's fetch adapter does not say where its answer came from; its Request does, through the fetch below.
const answeredAt = new WeakMap<object, AnsweredFrom>()

/**
 * Adds m3ter Service User authentication to one axios instance and returns a function that removes it.
 * Requests that core's request policy authorizes (in scope, not the token endpoint, no own `Basic`) get
 * `Authorization: Bearer <token>`; every other request is left exactly as made. A rejected token is dropped
 * and the request retried once below every interceptor (never a one-shot stream body). Errors and
 * responses that pass through carry no bearer where `console.log` or `JSON.stringify` would show it; an
 * abort during the token wait is an axios `CanceledError` whose `cause` is the `aborted` M3terAuthError.
 * Given a pool (`createTokenPool`), each request uses the member of the organisation in its URL.
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
export function attachM3terAuth(instance: AxiosInstance, auth: TokenProvider | TokenPool): () => void {
  if (typeof instance?.interceptors?.request?.use !== 'function') {
    throw new TypeError(
      `attachM3terAuth(instance, auth): instance must be an axios instance (axios.create()); got ${describeArgument(instance)}`,
    )
  }
  requireTokenProvider(auth, 'attachM3terAuth(instance, auth)')
  // One recording fetch per fetch it wraps and provider (a pool's member) that judges each redirect hop.
  const recorders = new WeakMap<TokenProvider, WeakMap<Fetch, Fetch>>()
  const recordersOf = (member: TokenProvider) => {
    let forMember = recorders.get(member)
    if (!forMember) {
      forMember = new WeakMap()
      recorders.set(member, forMember)
    }
    return forMember
  }
  const id = instance.interceptors.request.use(async (config) => {
    const url = fullUrl(config)
    const authorization = config.headers.get('Authorization')
    // A pool's member for this URL's organisation; a provider is its own.
    const member = await providerFor(auth, url, authorization)
    if (!member || !shouldAuthorize(member, url, authorization)) return config
    // `config` is axios's per-request merge of defaults and the caller's options: ours to set fields on.
    config.headers.set('Authorization', bearerHeader(await tokenFor(member, config)))
    config.beforeRedirect = guardRedirects(unwrap(config.beforeRedirect), url, member)
    config.env = {
      ...config.env,
      fetch: recording(unwrap(config.env?.fetch) ?? globalThis.fetch, member, recordersOf(member)),
    }
    // The retry lives in the adapter, below every interceptor: the caller's interceptors see one request.
    config.adapter = retrying(unwrap(config.adapter), member, url)
    return config
  })
  return () => instance.interceptors.request.eject(id)
}

function retrying(inner: AdapterSpec, auth: TokenProvider, url: string): AxiosAdapter {
  const attempt = async (config: Config, retried: boolean): Promise<AxiosResponse> => {
    // With the config: the fetch adapter takes its fetch (ours, recording) from `config.env`.
    const send = (axios.getAdapter as (spec: unknown, config: Config) => AxiosAdapter)(
      inner ?? axios.defaults.adapter,
      config,
    )
    const token = tokenOfHeader(config.headers.get('Authorization'))
    const judge = (res: AxiosResponse) =>
      judgeAnswer(auth, {
        method: config.method ?? 'get',
        url,
        status: res.status,
        token,
        answeredFrom: originOf(res, url),
        body: config.data,
        retried,
      })
    let response: AxiosResponse
    try {
      response = await send(config)
    } catch (error) {
      const failed = (error as { response?: AxiosResponse }).response
      if (!failed || judge(failed) !== 'retry') throw error
      return again(config, failed)
    }
    // validateStatus may accept a 401/403, so a rejected token can also arrive here.
    return judge(response) !== 'retry' ? response : again(config, response)
  }
  const again = async (config: Config, refused: AxiosResponse) => {
    ;(refused.data as { destroy?: () => void } | null)?.destroy?.()
    // A fresh config and headers: the caller's `error.config` keeps describing the request it made.
    const headers = AxiosHeaders.from(config.headers).set(
      'Authorization',
      bearerHeader(await tokenFor(auth, config)),
    )
    return attempt({ ...config, headers }, true)
  }
  const adapter: AxiosAdapter = (config) =>
    attempt(config, false).then(withoutBearer, (e) => Promise.reject(withoutBearer(e)))
  wrapped.set(adapter, inner)
  return adapter
}

// An abort during the token wait rejects the way axios rejects an abort, with our error as the cause.
async function tokenFor(auth: TokenProvider, config: Config): Promise<string> {
  const signal = config.signal instanceof AbortSignal ? config.signal : undefined
  try {
    return await auth.getToken({ signal })
  } catch (error) {
    if (!signal?.aborted) throw error
    throw Object.assign(new axios.CanceledError(undefined, config), { cause: error })
  }
}

function originOf(response: AxiosResponse, asked: string): AnsweredFrom {
  const request = response.request as {
    res?: { responseUrl?: unknown }
    responseURL?: unknown
    getHeader?: unknown
  }
  if (typeof request?.res?.responseUrl === 'string') return answeredFrom(asked, request.res.responseUrl)
  if (typeof request?.responseURL === 'string') return answeredFrom(asked, request.responseURL)
  const fetched = request && answeredAt.get(request)
  if (fetched !== undefined) return fetched
  // Node's http without a redirect follower answers from where it asked; any other transport cannot tell.
  return typeof request?.getHeader === 'function' ? 'asked' : 'unknown'
}

// The fetch axios's fetch adapter is given: it follows redirects hop by hop (fetch itself would keep the
// bearer on a same-origin hop to the token endpoint) and records where each answer came from.
function recording(fetch: Fetch, auth: TokenProvider, recorders: WeakMap<Fetch, Fetch>): Fetch {
  const existing = recorders.get(fetch)
  if (existing) return existing
  const recorder: Fetch = async (input, init) => {
    const request = input instanceof Request ? input : undefined
    // axios hands its body over inside the Request: a copy is kept for a 307/308 hop that resends it.
    const spare = request?.body ? request.clone() : undefined
    const follow = {
      url: request?.url ?? String(input),
      carries: (hop: string) => shouldAuthorize(auth, hop),
      bodyAgain: () => (spare ? spare.clone().body : (init?.body ?? BODY_GONE)),
    }
    try {
      const { response, answeredFrom } = await sendFollowingRedirects(fetch, input, init ?? {}, follow)
      if (request) answeredAt.set(request, answeredFrom)
      return response
    } finally {
      if (spare && !spare.bodyUsed) void spare.body?.cancel().catch(() => undefined)
    }
  }
  recorders.set(fetch, recorder)
  wrapped.set(recorder, fetch)
  return recorder
}

// util.inspect (console.log) and JSON.stringify show `config` with its headers, and `request`, whose raw
// head or headers hold the Authorization line. The header leaves the config (the interceptor sets it again
// when the caller re-sends `error.config`), and `request` stays readable through a getter, which neither
// JSON.stringify nor util.inspect (even with showHidden) calls.
function withoutBearer<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value
  const { config, response } = value as { config?: Config; response?: { config?: Config } }
  for (const holder of [value, response] as Array<{ request?: unknown } | undefined>) {
    if (!holder || !Object.hasOwn(holder, 'request')) continue
    const request = holder.request
    Object.defineProperty(holder, 'request', { get: () => request, enumerable: false, configurable: true })
  }
  for (const headers of [config?.headers, response?.config?.headers] as Array<
    Partial<AxiosHeaders> | undefined
  >) {
    // Duck-typed: AxiosHeaders of another copy of axios fail instanceof.
    if (typeof headers?.get === 'function' && tokenOfHeader(headers.get('Authorization')) !== undefined) {
      headers.delete?.('Authorization')
    }
  }
  return value
}

function guardRedirects(user: BeforeRedirect | undefined, url: string, auth: TokenProvider): BeforeRedirect {
  // follow-redirects drops Authorization on most cross-origin hops, but older releases keep it for a
  // subdomain or another port; the bearer belongs to the one origin it was made for. On that origin it
  // keeps the header, so a hop to the token endpoint (any spelling of its path) is stripped here too.
  const guard: BeforeRedirect = (options, responseDetails, requestDetails) => {
    const hop = (options as { href?: string }).href
    if (answeredFrom(url, hop) !== 'asked' || (hop !== undefined && !shouldAuthorize(auth, hop))) {
      const headers = (options as { headers?: Record<string, unknown> }).headers ?? {}
      for (const name of Object.keys(headers))
        if (name.toLowerCase() === 'authorization') delete headers[name]
    }
    user?.(options, responseDetails, requestDetails)
  }
  wrapped.set(guard, user)
  return guard
}

function unwrap<T>(value: T): T {
  return typeof value === 'function' && wrapped.has(value) ? (wrapped.get(value) as T) : value
}

// axios joins baseURL and url itself later; computing the URL directly is cheaper than `instance.getUri`.
function fullUrl(config: Config): string {
  const url = config.url ?? ''
  const base = config.baseURL
  const absolute = /^([a-z][a-z\d+\-.]*:)?\/\//i.test(url)
  if (!base || (absolute && config.allowAbsoluteUrls !== false)) return url
  return url ? `${base.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}` : base
}
