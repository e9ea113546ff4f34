import type { TokenPool, TokenProvider } from '@m3ter-auth/core'
import {
  type AnsweredFrom,
  answeredFrom,
  BODY_GONE,
  bearerHeader,
  describeArgument,
  heldToken,
  judgeAnswer,
  POOL_ROUTE,
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
  const authorize = authorizer()
  // A pool picks its member per request, perhaps creating it: always the waiting interceptor.
  const provider =
    typeof (auth as { [POOL_ROUTE]?: unknown })[POOL_ROUTE] === 'function'
      ? undefined
      : (auth as TokenProvider)
  // The fresh token the first interceptor's runWhen took for the request axios is setting up, or undefined.
  // axios asks both runWhen in a row, so exactly one of the two interceptors runs for each request.
  let held: string | undefined
  // A provider holding a fresh token authorizes synchronously, and axios keeps its synchronous interceptor
  // path (no promise chain, no microtasks) when the caller's interceptors are synchronous too.
  const atOnce = instance.interceptors.request.use(
    (config) => {
      const token = held
      held = undefined
      const url = fullUrl(config)
      if (!provider || !shouldAuthorize(provider, url, config.headers.get('Authorization'))) return config
      return authorize(config, url, provider, token)
    },
    undefined,
    {
      synchronous: true,
      runWhen: () => {
        held = provider && heldToken(provider)
        return held !== undefined
      },
    },
  )
  const waiting = instance.interceptors.request.use(
    async (config) => {
      const url = fullUrl(config)
      const authorization = config.headers.get('Authorization')
      // A pool's member for this URL's organisation; a provider is its own.
      const member = await providerFor(auth, url, authorization)
      if (!member || !shouldAuthorize(member, url, authorization)) return config
      return authorize(config, url, member, await tokenFor(member, config))
    },
    undefined,
    { runWhen: () => held === undefined },
  )
  return () => {
    instance.interceptors.request.eject(atOnce)
    instance.interceptors.request.eject(waiting)
  }
}

/**
 * Sets what an authorized request needs on `config` (axios's per-request merge of defaults and the caller's
 * options: ours to set fields on): the bearer, the redirect guard, the recording fetch and the retrying
 * adapter. What depends only on the provider and the caller's values is made once and reused while they
 * stay the same (one entry each: an instance usually sends every request the same way). Without a token
 * (one that stopped being fresh between axios's two calls), the adapter waits for it.
 */
function authorizer() {
  let guardOf: { user?: BeforeRedirect; url: string; auth: TokenProvider; guard: BeforeRedirect } | undefined
  let recorderOf: { fetch: Fetch; auth: TokenProvider; recorder: Fetch } | undefined
  let adapterOf: { inner: AdapterSpec; auth: TokenProvider; adapter: AxiosAdapter } | undefined
  // One recording fetch per fetch it wraps and provider (a pool's member) that judges each redirect hop.
  const recorders = new WeakMap<TokenProvider, WeakMap<Fetch, Fetch>>()
  return (config: Config, url: string, auth: TokenProvider, token: string | undefined): Config => {
    if (token !== undefined) config.headers.set('Authorization', bearerHeader(token))
    const user = unwrap(config.beforeRedirect)
    if (!guardOf || guardOf.user !== user || guardOf.url !== url || guardOf.auth !== auth) {
      guardOf = { url, auth, guard: guardRedirects(user, url, auth), ...(user ? { user } : {}) }
    }
    config.beforeRedirect = guardOf.guard
    const fetch = unwrap(config.env?.fetch) ?? globalThis.fetch
    if (!recorderOf || recorderOf.fetch !== fetch || recorderOf.auth !== auth) {
      let forMember = recorders.get(auth)
      if (!forMember) {
        forMember = new WeakMap()
        recorders.set(auth, forMember)
      }
      recorderOf = { fetch, auth, recorder: recording(fetch, auth, forMember) }
    }
    // Object.assign, not a spread: on Node 20 a spread that adds a property the source lacks (axios's env
    // has no fetch by default) takes V8's slow path, about 0.5 µs a request.
    config.env = Object.assign({}, config.env, { fetch: recorderOf.recorder })
    // The retry lives in the adapter, below every interceptor: the caller's interceptors see one request.
    const inner = unwrap(config.adapter)
    if (!adapterOf || adapterOf.inner !== inner || adapterOf.auth !== auth) {
      adapterOf = { inner, auth, adapter: retrying(inner, auth) }
    }
    config.adapter = token !== undefined ? adapterOf.adapter : tokenFirst(adapterOf.adapter, auth, inner)
    return config
  }
}

// The rare request whose token went stale between axios's two interceptor calls: the token wait moves into
// the adapter, where waiting is allowed.
function tokenFirst(adapter: AxiosAdapter, auth: TokenProvider, inner: AdapterSpec): AxiosAdapter {
  const first: AxiosAdapter = async (config) => {
    config.headers.set('Authorization', bearerHeader(await tokenFor(auth, config)))
    return adapter(config)
  }
  wrapped.set(first, inner)
  return first
}

// One per provider and inner adapter; the URL is read from each config (as axios's adapters read it).
function retrying(inner: AdapterSpec, auth: TokenProvider): AxiosAdapter {
  // The adapter `inner` names, when that does not depend on the request (see adapterFor).
  let resolved: AxiosAdapter | undefined
  const attempt = async (config: Config, retried: boolean): Promise<AxiosResponse> => {
    const url = fullUrl(config)
    let send = resolved
    if (!send) {
      send = adapterFor(inner, config)
      if (isFixedAdapter(inner, send)) resolved = send
    }
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
    attempt(config, false).then(answerWithoutBearer, rejectWithoutBearer)
  wrapped.set(adapter, inner)
  return adapter
}

// With the config: the fetch adapter takes its fetch (ours, recording) from `config.env`.
function adapterFor(inner: AdapterSpec, config: Config): AxiosAdapter {
  return (axios.getAdapter as (spec: unknown, config: Config) => AxiosAdapter)(
    inner ?? axios.defaults.adapter,
    config,
  )
}

// What `inner` resolves to is the same for every request when it is a function of the caller's, or axios's
// own http or xhr adapter (a name list resolves to the first the environment supports, the same each time).
// The fetch adapter is made from each request's `config.env` (our recording fetch): resolved every time.
function isFixedAdapter(inner: AdapterSpec, adapter: AxiosAdapter): boolean {
  if (typeof inner === 'function') return true
  const name = (adapter as { adapterName?: unknown }).adapterName
  return name === 'http' || name === 'xhr'
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
  dropBearer(config)
  dropBearer(response?.config)
  return value
}

// A successful response as axios built it, with its `request` (whose raw head or headers hold the
// Authorization line) behind an accessor on the prototype instead of an own property: neither
// JSON.stringify nor util.inspect (even with showHidden) shows it, and no property is redefined per response.
class Answer {
  #request: unknown
  constructor(response: AxiosResponse) {
    for (const key of Object.keys(response)) {
      if (key !== 'request')
        (this as Record<string, unknown>)[key] = (response as unknown as Record<string, unknown>)[key]
    }
    this.#request = response.request
  }
  get request(): unknown {
    return this.#request
  }
  set request(value: unknown) {
    this.#request = value
  }
}

function answerWithoutBearer(response: AxiosResponse): AxiosResponse {
  dropBearer(response.config)
  return new Answer(response) as unknown as AxiosResponse
}

function rejectWithoutBearer(error: unknown): Promise<never> {
  return Promise.reject(withoutBearer(error))
}

function dropBearer(config: Config | undefined): void {
  const headers = config?.headers as Partial<AxiosHeaders> | undefined
  // The header as the interceptor set it (AxiosHeaders keeps each header as an own property under the name
  // it was set with): emptied directly, without AxiosHeaders' by-any-spelling lookups, on every answer.
  // Set to undefined, not deleted: AxiosHeaders reads an undefined header as absent (get, has, toJSON, a
  // re-send), and a delete turns every answered config's headers into a slow dictionary, which made all
  // axios requests of the process slower on the loopback bench (wrapped ~520 -> ~430 µs of CPU).
  const own = headers as Record<string, unknown> | undefined
  if (
    typeof headers?.get === 'function' &&
    Object.hasOwn(headers, 'Authorization') &&
    tokenOfHeader(own?.Authorization) !== undefined
  ) {
    ;(own as Record<string, unknown>).Authorization = undefined
    return
  }
  // Duck-typed: AxiosHeaders of another copy of axios fail instanceof.
  if (typeof headers?.get === 'function' && tokenOfHeader(headers.get('Authorization')) !== undefined) {
    headers.delete?.('Authorization')
  }
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
  if (!base) return url
  const absolute = /^([a-z][a-z\d+\-.]*:)?\/\//i.test(url)
  if (absolute && config.allowAbsoluteUrls !== false) return url
  return url ? `${base.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}` : base
}
