import type { TokenPool, TokenProvider } from '@m3ter-auth/core'
import {
  type AnsweredFrom,
  BODY_GONE,
  bearerHeader,
  type FollowedAnswer,
  type FollowOptions,
  followRedirects,
  followsRedirectsHere,
  heldToken,
  initWith,
  isRedirect,
  judgeAnswer,
  providerFor,
  requireTokenProvider,
  sendFollowingRedirects,
  shouldAuthorize,
} from '@m3ter-auth/core/internals'

// ky 1 calls hooks with positional arguments, (request, options[, response], state); ky 2 with one state
// object, ({ request, options, response?, retryCount }). Each hook accepts both and reads what it needs,
// so the hooks are typed loosely enough to fit either major's Hooks type.
type AnyHook<R> = (...args: unknown[]) => Promise<R> | R

/**
 * Options of {@link m3terAuth}.
 *
 * @example
 * ```ts
 * // A fetch of your own (tracing, a proxy) goes here, not to ky: ky's `fetch` option is this adapter.
 * const api = ky.extend(m3terAuth(auth, { fetch: tracedFetch }))
 * ```
 */
export interface M3terAuthKyOptions {
  /**
   * The fetch every request goes through (ky's own `fetch` option is where this adapter sits, so give yours
   * here rather than to ky). Default: global fetch.
   */
  readonly fetch?: typeof globalThis.fetch | undefined
}

/**
 * What {@link m3terAuth} returns: options for `ky.extend(...)` or `ky.create(...)`. Spread its hooks to add
 * your own.
 *
 * @example
 * ```ts
 * const { fetch, hooks } = m3terAuth(auth)
 * const api = ky.create({
 *   prefixUrl: `https://api.m3ter.com/organizations/${orgId}`,
 *   fetch,
 *   hooks: { ...hooks, afterResponse: [({ response }) => log(response.status)] }, // ky 2's state object
 * })
 * ```
 */
export interface M3terAuthKyExtension {
  fetch: typeof globalThis.fetch
  hooks: {
    beforeRequest: Array<AnyHook<void>>
    beforeRetry: Array<AnyHook<void>>
  }
}

interface HookState {
  request: Request
  options: { body?: unknown }
}

/**
 * ky options that add m3ter Service User authentication, for ky 1 and ky 2. Requests that core's request
 * policy authorizes (in scope, not the token endpoint, no own `Basic`) are sent with
 * `Authorization: Bearer <token>`; others are left as made. A rejected token is dropped and the request
 * sent once more with a new one (not a stream body); the second answer goes on through ky as usual.
 * Given a pool (`createTokenPool`), each request uses the member of the organisation in its URL.
 *
 * Redirects of authorized requests are followed in that `fetch`, hop by hop, so that no hop (a same-origin
 * one included) takes the bearer to the token endpoint.
 *
 * The bearer is added in the returned `fetch`, on the copy of ky's Request that is sent: ky's own Request,
 * which its errors (`HTTPError`, `TimeoutError`) carry and print, never holds it. So pass your own fetch as
 * `m3terAuth(auth, { fetch })`: a `fetch` given to ky later replaces this one, bearer and retry with it.
 *
 * @example
 * ```ts
 * import ky from 'ky'
 * import { createTokenProvider } from '@m3ter-auth/core'
 * import { m3terAuth } from '@m3ter-auth/ky'
 *
 * const auth = createTokenProvider({ credentials: { accessKeyId, apiSecret } })
 * const api = ky.extend(m3terAuth(auth))
 * const meters = await api.get(`https://api.m3ter.com/organizations/${orgId}/meters`).json()
 * ```
 */
export function m3terAuth(
  auth: TokenProvider | TokenPool,
  options: M3terAuthKyOptions = {},
): M3terAuthKyExtension {
  requireTokenProvider(auth, 'm3terAuth(auth)')
  const send = options.fetch ?? globalThis.fetch
  // The body each request was made from, by request: fetch only sees the Request, whose body is a stream
  // whatever the caller gave, and a retry must know whether that body can be sent again and rebuild it.
  const bodies = new WeakMap<Request, unknown>()
  // The provider that authorizes this request (a pool's member for its organisation), or undefined.
  // A provider is its own member and is answered synchronously, no promise made. A pool's member is
  // always awaited: a listener of its pool_member_added event (otel's recipe) instruments the member before
  // its first token request.
  const authorizing = (request: Request): TokenProvider | undefined | Promise<TokenProvider | undefined> => {
    const authorization = request.headers.get('authorization')
    const url = request.url
    const routed = providerFor(auth, url, authorization)
    return routed === auth
      ? allowedMember(routed, url, authorization)
      : Promise.resolve(routed).then((member) => allowedMember(member, url, authorization))
  }
  // The token is first asked for in a hook so that a token failure takes ky's hook error path (ky 2 does
  // not retry it); fetch then finds it ready. A provider holding a fresh token has nothing to wait for:
  // the hook returns at once (ky awaits whatever it returns).
  const prepare = (...args: unknown[]): Promise<void> | undefined => {
    const { request, options: kyOptions } = stateOf(args)
    if (request.body !== null) bodies.set(request, kyOptions.body)
    const member = authorizing(request)
    if (member === undefined) return undefined
    if (!(member instanceof Promise) && !request.signal.aborted && heldToken(member) !== undefined)
      return undefined
    return Promise.resolve(member).then(async (ready) => {
      await ready?.getToken({ signal: request.signal })
    })
  }

  // The retry sits here rather than in an afterResponse hook: ky tees the response for every afterResponse
  // hook. Here the retry is local to one fetch call and happens at most once in it, so it cannot loop,
  // and ky's own hooks see one request and only the answer this returns.
  const fetchWithAuth = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const routed = input instanceof Request ? authorizing(input) : undefined
    const member = routed instanceof Promise ? await routed : routed
    if (!member) return send(input, init)
    const request = input as Request
    const { signal } = request
    // A body we did not see made (a Request swapped in by another hook) counts as one-shot: safe side.
    const body = request.body === null ? undefined : bodies.has(request) ? bodies.get(request) : request.body
    let token = (!signal.aborted && heldToken(member)) || (await member.getToken({ signal }))
    let response: Response
    let answeredFrom: AnsweredFrom = 'asked'
    if (request.bodyUsed) {
      ;({ response, answeredFrom } = await sendSigned(send, member, request, init, body, token))
    } else {
      // The usual first send: ky's Request as it is, the signed headers in one fresh init (fetch builds its
      // own Request from the two anyway). Redirects are followed here, hop by hop, so that none takes the
      // bearer to the token endpoint, and only when the answer is one: most requests skip that work.
      const followHere = followsRedirectsHere(request, init)
      const headers = signedHeaders(request, token)
      const signed = initWith(init, followHere ? { headers, redirect: 'manual' } : { headers })
      response = await send(request, signed)
      if (followHere && isRedirect(response)) {
        const follow = followOptions(member, request, body)
        ;({ response, answeredFrom } = await followRedirects(send, response, request, signed, follow))
      }
    }
    const answer = {
      method: request.method,
      url: request.url,
      status: response.status,
      token,
      answeredFrom,
      body,
      retried: false,
    }
    if (judgeAnswer(member, answer) !== 'retry') return response
    // The first answer is dropped; cancelling its body lets the connection go back to the pool.
    void response.body?.cancel().catch(() => undefined)
    token = (!signal.aborted && heldToken(member)) || (await member.getToken({ signal }))
    const retry = await sendSigned(send, member, request, init, body, token)
    const { status } = retry.response
    judgeAnswer(member, { ...answer, status, token, answeredFrom: retry.answeredFrom, retried: true })
    return retry.response
  }

  return {
    fetch: fetchWithAuth as typeof globalThis.fetch,
    // ky 2 runs beforeRequest once per call and beforeRetry before each of its own retries, whose Request
    // is a clone: its body is remembered again.
    hooks: { beforeRequest: [prepare], beforeRetry: [prepare] },
  }
}

// The member, when it authorizes this request.
function allowedMember(
  member: TokenProvider | undefined,
  url: string,
  authorization: string | null,
): TokenProvider | undefined {
  return member && shouldAuthorize(member, url, authorization) ? member : undefined
}

// A signed send by sendFollowingRedirects: a retry, or a first send whose body was used already (the
// first send of the usual kind is made in fetchWithAuth itself). A send whose body an earlier one used
// needs a Request made again.
function sendSigned(
  send: typeof globalThis.fetch,
  member: TokenProvider,
  request: Request,
  init: RequestInit | undefined,
  body: unknown,
  token: string,
): Promise<FollowedAnswer> {
  const follow = followOptions(member, request, body)
  return request.bodyUsed
    ? sendFollowingRedirects(send, withBearer(request, body, token), init ?? {}, follow)
    : sendFollowingRedirects(
        send,
        request,
        initWith(init, { headers: signedHeaders(request, token) }),
        follow,
      )
}

// Which hops may carry the bearer, and the body once more for a hop that keeps it (307/308): built only
// for a redirect or a retry.
function followOptions(member: TokenProvider, request: Request, body: unknown): FollowOptions {
  return {
    url: request.url,
    carries: (hop) => shouldAuthorize(member, hop),
    bodyAgain: () => (body === undefined ? null : canSendAgain(body) ? (body as BodyInit) : BODY_GONE),
  }
}

// A body ky keeps as given (string, bytes, FormData, Blob, URLSearchParams) can be sent once more; a stream
// (ky's own Request body, or one the caller gave) cannot.
function canSendAgain(body: unknown): boolean {
  return (
    !(body instanceof ReadableStream) &&
    !(typeof body === 'object' && body !== null && Symbol.asyncIterator in body)
  )
}

function stateOf(args: unknown[]): HookState {
  const [first, second] = args
  if (first instanceof Request || (typeof first === 'object' && first !== null && 'url' in first)) {
    return { request: first as Request, options: (second ?? {}) as HookState['options'] }
  }
  return first as HookState
}

// The request's headers with our bearer: a copy, so ky's Request (which the caller's hooks and ky's errors
// show) never carries it.
function signedHeaders(request: Request, token: string): Headers {
  const headers = new Headers(request.headers)
  headers.set('authorization', bearerHeader(token))
  return headers
}

// A signed copy to send once the first send used the request's body: the body is built again from what
// the caller gave (FormData afresh, with a new boundary the old content-type lacks).
function withBearer(request: Request, body: unknown, token: string): Request {
  const headers = signedHeaders(request, token)
  if (body instanceof FormData) headers.delete('content-type')
  return new Request(request.url, {
    method: request.method,
    headers,
    body: body as BodyInit,
    signal: request.signal,
    redirect: request.redirect,
    credentials: request.credentials,
    cache: request.cache,
    integrity: request.integrity,
    keepalive: request.keepalive,
    mode: request.mode,
    referrer: request.referrer,
    referrerPolicy: request.referrerPolicy,
  })
}
