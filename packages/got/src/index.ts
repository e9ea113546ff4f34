import type { TokenPool, TokenProvider } from '@m3ter-auth/core'
import {
  answeredFrom,
  bearerHeader,
  heldToken,
  judgeAnswer,
  providerFor,
  requireTokenProvider,
  shouldAuthorize,
  tokenOfHeader,
} from '@m3ter-auth/core/internals'

// got 14 and got 16 each declare their own `Options` class, and classes with private members only match
// themselves, so the hooks are typed by the few members they use; both majors' objects fit these shapes.

// What a beforeRequest hook that had nothing to wait for returns.
const DONE: Promise<void> = Promise.resolve()

/**
 * What the hooks read and write on got's per-request options: enough to type a hook of your own that works
 * with got 14 and got 16 alike.
 *
 * @example
 * ```ts
 * const tagged = (options: GotOptionsLike) => {
 *   options.headers['x-request-id'] = crypto.randomUUID()
 * }
 * const hooks = m3terAuthHooks(auth)
 * const api = got.extend({ hooks: { ...hooks, beforeRequest: [tagged, ...hooks.beforeRequest] } })
 * ```
 */
export interface GotOptionsLike {
  url?: string | URL | undefined
  method?: string
  headers: Record<string, string | string[] | undefined>
  context: Record<string, unknown>
  body?: unknown
  json?: unknown
  form?: unknown
  signal?: unknown
  isStream?: boolean
}

/**
 * What the hooks read on a got response.
 *
 * @example
 * ```ts
 * // An afterResponse hook of your own, typed for got 14 and got 16 alike.
 * const logStatus = <R extends GotResponseLike>(response: R): R => {
 *   console.log(response.statusCode, response.url)
 *   return response
 * }
 * ```
 */
export interface GotResponseLike {
  statusCode: number
  url: string
  requestUrl?: URL | string
  request: { options: GotOptionsLike }
}

/**
 * The hooks {@link m3terAuthHooks} returns, ready for `got.extend({ hooks })`. Spread them to add hooks of
 * your own; keep ours first in `afterResponse`, so your later hooks see the answer after any retry.
 *
 * @example
 * ```ts
 * const hooks = m3terAuthHooks(auth)
 * const api = got.extend({ hooks: { ...hooks, afterResponse: [...hooks.afterResponse, logStatus] } })
 * ```
 */
export interface M3terAuthGotHooks {
  beforeRequest: Array<(options: GotOptionsLike) => Promise<void>>
  beforeRedirect: Array<(options: GotOptionsLike, response: GotResponseLike) => void>
  afterResponse: Array<
    <R extends GotResponseLike>(
      response: R,
      retryWithMergedOptions: (options: Record<string, unknown>) => never,
    ) => R
  >
  beforeError: Array<<E extends Error>(error: E) => E>
}

// Request-local marks live in `options.context`, which got copies into every retry and redirect of one
// call and never shares with the caller's object or the instance defaults. String keys, because got 16
// drops symbol keys when `retryWithMergedOptions` merges a context (and the retry would then loop).
const RETRIED = 'm3terAuthRetried'
const CROSSED = 'm3terAuthCrossedOrigin'

/**
 * got hooks that add m3ter Service User authentication. Requests that core's request policy authorizes
 * (in scope, not the token endpoint, no own `Basic`) get `Authorization: Bearer <token>`; others are left
 * as made. A rejected token is dropped and the request retried once through got's `retryWithMergedOptions`
 * (never a stream, iterator or generator body); the second answer goes to the caller as got gives it.
 * After a redirect to another origin no bearer is sent again. Given a pool (`createTokenPool`), each
 * request uses the member of the organisation in its URL.
 *
 * @example
 * ```ts
 * import got from 'got'
 * import { createTokenProvider } from '@m3ter-auth/core'
 * import { m3terAuthHooks } from '@m3ter-auth/got'
 *
 * const auth = createTokenProvider({ credentials: { accessKeyId, apiSecret } })
 * const api = got.extend({
 *   prefixUrl: `https://api.m3ter.com/organizations/${orgId}`,
 *   hooks: m3terAuthHooks(auth),
 * })
 * const meters = await api.get('meters').json()
 * ```
 */
export function m3terAuthHooks(auth: TokenProvider | TokenPool): M3terAuthGotHooks {
  requireTokenProvider(auth, 'm3terAuthHooks(auth)')
  // The provider each request was signed by (a pool's member), by got's options object of that attempt.
  const signedBy = new WeakMap<GotOptionsLike, TokenProvider>()
  const judge = (options: GotOptionsLike, response: GotResponseLike) => {
    const url = response.requestUrl ?? String(options.url)
    const member = signedBy.get(options)
    if (!member) return 'pass'
    return judgeAnswer(member, {
      method: options.method ?? 'GET',
      url,
      status: response.statusCode,
      token: tokenOfHeader(options.headers.authorization),
      answeredFrom: answeredFrom(url, response.url),
      get body() {
        return bodyOf(options)
      },
      // A retried answer is never judged a retry again: the mark is what keeps this from looping.
      retried: options.context[RETRIED] === true,
    })
  }
  const sign = (options: GotOptionsLike, url: string | URL, member: TokenProvider | undefined) => {
    if (!member || !shouldAuthorize(member, url, options.headers.authorization)) return DONE
    const signal = options.signal instanceof AbortSignal ? options.signal : undefined
    const held = signal?.aborted ? undefined : heldToken(member)
    if (held === undefined) return signWhenReady(options, member, signal)
    options.headers.authorization = bearerHeader(held)
    signedBy.set(options, member)
    return DONE
  }
  const signWhenReady = async (
    options: GotOptionsLike,
    member: TokenProvider,
    signal: AbortSignal | undefined,
  ) => {
    options.headers.authorization = bearerHeader(await member.getToken({ signal }))
    signedBy.set(options, member)
  }
  return {
    // Runs before every attempt (retries included), so each attempt carries the current token.
    beforeRequest: [
      // Not async: with a provider holding a fresh token nothing here waits, and one settled promise
      // answers every such request.
      (options) => {
        const url = options.url
        if (url === undefined || url === '' || options.context[CROSSED] === true) return DONE
        const routed = providerFor(auth, url, options.headers.authorization)
        // A pool's member is always awaited (see @m3ter-auth/fetch): only a provider signs synchronously.
        if (routed !== auth) return Promise.resolve(routed).then((member) => sign(options, url, member))
        return sign(options, url, routed)
      },
    ],
    beforeRedirect: [
      (options, response) => {
        const previous = response.request.options
        if (
          previous.context[CROSSED] !== true &&
          answeredFrom(String(previous.url), options.url) === 'asked'
        ) {
          // Same origin: got keeps the header, so a hop to the token endpoint (any spelling of its path)
          // must lose it here; beforeRequest signs any later hop that may have it again.
          const hop = options.url === undefined ? '' : String(options.url)
          // The provider that signed this request (a pool's member); none: the bearer, if any, is not ours.
          const member = signedBy.get(options) ?? signedBy.get(previous)
          if (
            member &&
            !shouldAuthorize(member, hop) &&
            tokenOfHeader(options.headers.authorization) !== undefined
          )
            delete options.headers.authorization
          return
        }
        // got strips Authorization itself when host or port change; a scheme change (https to http on the
        // same host) it lets through, and beforeRequest must not put a bearer back on this or later hops.
        options.context[CROSSED] = true
        if (tokenOfHeader(options.headers.authorization) !== undefined) delete options.headers.authorization
      },
    ],
    afterResponse: [
      (response, retryWithMergedOptions) => {
        if (judge(response.request.options, response) !== 'retry') return withoutBearer(response)
        // beforeRequest runs again for the retry and fetches the new token; got 14 and 16 both let this
        // retry through even with `retry.limit: 0`. preserveHooks keeps the caller's later afterResponse
        // hooks for the retried answer.
        return retryWithMergedOptions({ context: { [RETRIED]: true }, preserveHooks: true })
      },
    ],
    beforeError: [
      (error) => {
        const { response, options } = error as { response?: GotResponseLike; options?: GotOptionsLike }
        if (!options) return error
        // got.stream() skips afterResponse: it cannot retry, but a rejected token is still dropped.
        if (options.isStream && response) judge(options, response)
        // got errors carry their options, headers included, into JSON.stringify and util.inspect; no attempt
        // follows beforeError, so the bearer is taken out of what the caller may log. Their request and
        // response hold Node's ClientRequest, whose raw head has the Authorization line: they stay readable
        // through getters, which neither JSON.stringify nor util.inspect (even with showHidden) calls.
        if (tokenOfHeader(options.headers.authorization) !== undefined) {
          delete options.headers.authorization
          for (const key of ['request', 'response']) behindGetter(error, key)
        }
        return error
      },
    ],
  }
}

// The body a retry would send, as core's policy can judge it: got builds json and form bodies afresh.
function bodyOf(options: GotOptionsLike): unknown {
  if (options.isStream) return options.body ?? STREAMED
  if (options.body !== undefined) return options.body
  if (options.json !== undefined) return JSON.stringify(options.json)
  if (options.form !== undefined) return new URLSearchParams(options.form as Record<string, string>)
  return undefined
}

// got.stream() answers cannot be retried from a hook: judged as a body that cannot be sent twice.
const STREAMED: unknown = Object.freeze({ [Symbol.asyncIterator]: undefined })

// The answer the caller gets (or a later hook): no bearer where JSON.stringify or util.inspect look. The
// header leaves the options (beforeRequest sets it again for any retry or re-send of these options). Its
// other copies are small objects: the entry in the header map of Node's finished ClientRequest (reached as
// `response.req` and got's `request._request`; `getHeader` still reads it) and the copy got 16 handed to
// Node (`_requestOptions.headers`) stay readable through getters; the raw head Node already sent
// (`_header`) is rewritten without the token. WHY not getters on the response, got's Request or the
// ClientRequest: turning one property of those big objects into a getter makes V8 rebuild each as a slow
// dictionary, ~5 µs a response, and every got request in the process (bare ones too) then ran ~100 µs of
// CPU slower on the loopback bench (bench/adapters); these cost ~2 µs and slow nothing else.
function withoutBearer<R extends GotResponseLike>(response: R): R {
  const { options } = response.request
  const bearer = options.headers.authorization
  if (tokenOfHeader(bearer) === undefined) return response
  delete options.headers.authorization
  const { _requestOptions: handed } = response.request as { _requestOptions?: { headers?: object } }
  if (handed?.headers && handed.headers !== options.headers) behindGetter(handed.headers, 'authorization')
  hideRawBearer((response as { req?: object }).req, String(bearer))
  return response
}

// Node's ClientRequest keeps what it sent in `_header` and a header map under a symbol it does not export.
function hideRawBearer(request: object | undefined, bearer: string): void {
  if (!request) return
  const outHeaders = outHeadersOf(request)
  if (outHeaders) behindGetter(outHeaders, 'authorization')
  // Only a head already sent: one still to be sent must go out as it is.
  const sent = request as { _header?: unknown; _headerSent?: unknown }
  if (sent._headerSent === true && typeof sent._header === 'string')
    sent._header = sent._header.replace(bearer, HIDDEN)
}

// What the raw head shows where the bearer was.
const HIDDEN = 'Bearer [hidden by m3ter-auth]'

// Node's symbol for a ClientRequest's header map, found by its description once and then reused.
let outHeadersKey: symbol | undefined
function outHeadersOf(request: object): object | undefined {
  outHeadersKey ??= Object.getOwnPropertySymbols(request).find((key) => key.description === 'kOutHeaders')
  const map = outHeadersKey && (request as Record<symbol, unknown>)[outHeadersKey]
  return typeof map === 'object' && map !== null ? map : undefined
}

// A getter and a setter, so Node or got can still write the property should they ever do.
function behindGetter(holder: object, key: string): void {
  const property = Object.getOwnPropertyDescriptor(holder, key)
  if (!property?.configurable || !('value' in property)) return
  let { value } = property
  Object.defineProperty(holder, key, {
    get: () => value,
    set: (next: unknown) => {
      value = next
    },
    enumerable: false,
    configurable: true,
  })
}
