import type { TokenPool, TokenProvider } from '@m3ter-auth/core'
import {
  type AnsweredFrom,
  BODY_GONE,
  bearerHeader,
  describeArgument,
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

/**
 * Any function shaped like fetch: the global one, undici's, a test double. Parameters are `never` so that
 * fetches with their own Request/RequestInit types (undici's) are accepted and keep those types.
 *
 * @example
 * ```ts
 * import { Agent, fetch as undiciFetch } from 'undici'
 *
 * const m3terFetch = withM3terAuth(auth, undiciFetch)
 * // still undici's signature: its own options, such as `dispatcher`, typecheck
 * const res = await m3terFetch(url, { dispatcher: new Agent({ connections: 10 }) })
 * ```
 */
export type FetchLike = (input: never, init?: never) => Promise<unknown>

/**
 * Options of {@link withM3terAuth}.
 *
 * @example
 * ```ts
 * // A Cloudflare Worker: a refresh started by this request outlives its response.
 * export default {
 *   async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
 *     const m3terFetch = withM3terAuth(auth, fetch, { waitUntil: (work) => ctx.waitUntil(work) })
 *     return m3terFetch(`https://api.m3ter.com/organizations/${env.M3TER_ORG_ID}/meters`)
 *   },
 * }
 * ```
 */
export interface WithM3terAuthOptions {
  /**
   * Cloudflare Workers end a request's pending work when its response is returned, which would lose a
   * background token refresh that request started. Pass the request's `ctx.waitUntil` (wrap per request:
   * `withM3terAuth(auth, fetch, { waitUntil: (p) => ctx.waitUntil(p) })`) to let it finish.
   */
  readonly waitUntil?: (work: Promise<unknown>) => void
}

type AnyFetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>

/**
 * Wraps a fetch so that requests to the provider's scope carry `Authorization: Bearer <token>`, and an
 * answer core's request policy calls a token rejection refreshes the token and retries the request once.
 * In scope, the provider's bearer replaces any Authorization the caller set, except a `Basic` one (a token
 * request of its own, such as m3ter's SDK makes) and requests to the token endpoint: those, and requests
 * out of scope, go out exactly as given. An abort during the token wait rejects with the signal's reason.
 *
 * Redirects of authorized requests are followed here, hop by hop, by the fetch standard's rules (at most 20
 * hops), so that no hop takes the bearer to the token endpoint; a caller's `redirect: 'manual' | 'error'`
 * is left to fetch.
 *
 * A `Request` with a body is cloned before the first send (its body is teed, so it is held in memory until
 * the answer arrives). Token failures reject with the `M3terAuthError` itself. Runtime-neutral: no Node or
 * undici API, so it runs in Node, workerd, Vercel Edge, Deno and Bun.
 *
 * Given a pool (`createTokenPool`), each request uses the member of the organisation in its URL; a request
 * in scope that names no organisation, or one the pool does not know, goes out untouched.
 *
 * @param auth a provider, or a pool of providers by organisation
 * @param fetch the fetch to wrap; default: `globalThis.fetch`, looked up at each call so later polyfills apply
 *
 * @example
 * ```ts
 * import { createTokenProvider } from '@m3ter-auth/core'
 * import { withM3terAuth } from '@m3ter-auth/fetch'
 *
 * const auth = createTokenProvider() // M3TER_API_KEY and M3TER_API_SECRET from the environment
 * const m3terFetch = withM3terAuth(auth)
 * const res = await m3terFetch(`https://api.m3ter.com/organizations/${process.env.M3TER_ORG_ID}/meters`)
 * const { data: meters } = await res.json()
 * ```
 */
// Without a fetch, the global fetch's type, not an inferred F: inline in an option typed by another library
// (m3ter's SDK: `fetch: withM3terAuth(auth)`), F would be inferred from that option and fail (TS2322).
export function withM3terAuth(
  auth: TokenProvider | TokenPool,
  fetch?: undefined,
  options?: WithM3terAuthOptions,
): typeof globalThis.fetch
export function withM3terAuth<F extends FetchLike>(
  auth: TokenProvider | TokenPool,
  fetch: F,
  options?: WithM3terAuthOptions,
): F
export function withM3terAuth<F extends FetchLike = typeof globalThis.fetch>(
  auth: TokenProvider | TokenPool,
  fetch?: F,
  options?: WithM3terAuthOptions,
): F
export function withM3terAuth<F extends FetchLike>(
  auth: TokenProvider | TokenPool,
  fetch?: F,
  options: WithM3terAuthOptions = {},
): F {
  requireTokenProvider(auth, 'withM3terAuth(auth, fetch?)')
  if (fetch !== undefined && typeof fetch !== 'function') {
    throw new TypeError(
      `withM3terAuth(auth, fetch?): fetch must be a function; got ${describeArgument(fetch)}`,
    )
  }
  const { waitUntil } = options
  async function m3terFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    // Called as a plain function, never as a method: workerd and browsers throw "Illegal invocation" when
    // fetch's receiver is some other object.
    const send = (fetch ?? globalThis.fetch) as unknown as AnyFetch
    const request = isRequestLike(input) ? input : undefined
    const url = request ? request.url : input instanceof URL ? input : String(input)
    // fetch(request, init) uses init.headers instead of the request's, never a merge of both.
    const own = init?.headers !== undefined ? init.headers : request?.headers
    const authorization = authorizationOf(own)
    // A pool's member for this URL's organisation; a provider is its own.
    const routed = providerFor(auth, url, authorization)
    // A provider is its own member and costs no microtask. A pool's member is always awaited: a listener of
    // its pool_member_added event (otel's recipe) instruments the member before its first token request.
    const member = routed === auth ? routed : await routed
    if (!member || !shouldAuthorize(member, url, authorization)) return send(input, init)

    const signal = init?.signal ?? request?.signal ?? undefined
    const fromRequest = request !== undefined && init?.body === undefined && request.body !== null
    // A Request's body is a stream the first send consumes: the copy for a retry is made now (clone tees
    // it). Bodies in init are extracted afresh by fetch on each call.
    const spare = fromRequest && !request.bodyUsed ? request.clone() : undefined
    let token = (!signal?.aborted && heldToken(member)) || (await tokenFor(member, signal, waitUntil))
    // The first send goes straight to fetch, with one fresh init (the caller's init and headers objects are
    // never written to); redirects are followed here, hop by hop, so that none takes the bearer to the
    // token endpoint, and only when the answer is one.
    const followHere = followsRedirectsHere(input, init)
    const headers = withBearer(own, token)
    const first = initWith(init, followHere ? { headers, redirect: 'manual' } : { headers })
    let response = await send(input, first)
    let answeredFrom: AnsweredFrom = 'asked'
    if (followHere && isRedirect(response)) {
      // The follow options are built only here and for a retry: most requests need neither.
      const follow = followOptions(member, String(url), init, fromRequest, spare)
      ;({ response, answeredFrom } = await followRedirects(send, response, input, first, follow))
    }
    const method = init?.method ?? request?.method ?? 'GET'
    const refused = response.status === 401 || response.status === 403
    // The policy reads a Request body's bytes (for its size) only when it might retry.
    const body = !fromRequest
      ? init?.body
      : spare && refused
        ? await spare.clone().arrayBuffer()
        : request.body
    const answer = { method, url, status: response.status, token, answeredFrom, body, retried: false }
    if (judgeAnswer(member, answer) === 'retry') {
      // The first answer is dropped: cancel its body so its connection is released, not left half-read.
      void response.body?.cancel().catch(ignore)
      token = await tokenFor(member, signal, waitUntil)
      // No mark needed: the retry goes straight to the wrapped fetch, never back through this function.
      const sent = await sendFollowingRedirects(
        send,
        spare ?? input,
        initWith(init, { headers: withBearer(own, token) }),
        followOptions(member, String(url), init, fromRequest, spare),
      )
      response = sent.response
      const again = fromRequest ? request.body : init?.body
      judgeAnswer(member, {
        ...answer,
        status: response.status,
        token,
        answeredFrom: sent.answeredFrom,
        body: again,
        retried: true,
      })
    }
    if (spare && !spare.bodyUsed) void spare.body?.cancel().catch(ignore)
    return response
  }

  return m3terFetch as unknown as F
}

// Which hops may carry the bearer, and the body once more for a hop that keeps it (307/308).
function followOptions(
  member: TokenProvider,
  url: string,
  init: RequestInit | undefined,
  fromRequest: boolean,
  spare: Request | undefined,
): FollowOptions {
  return {
    url,
    carries: (hop) => shouldAuthorize(member, hop),
    bodyAgain: () =>
      !fromRequest
        ? isStream(init?.body)
          ? BODY_GONE
          : init?.body
        : spare && !spare.bodyUsed
          ? spare.clone().body
          : BODY_GONE,
  }
}

// A plain record is what fetch reads fastest, so one stays a record; Headers and lists become Headers.
function withBearer(own: HeadersInit | undefined, token: string): HeadersInit {
  if (own === undefined) return { authorization: bearerHeader(token) }
  if (isPlainRecord(own)) {
    const record: Record<string, string> = { authorization: bearerHeader(token) }
    for (const name in own) if (name.toLowerCase() !== 'authorization') record[name] = own[name] as string
    return record
  }
  const headers = new Headers(own)
  headers.set('authorization', bearerHeader(token))
  return headers
}

function authorizationOf(own: HeadersInit | undefined): string | null | undefined {
  if (own === undefined) return undefined
  if (isPlainRecord(own)) {
    for (const name in own) if (name.toLowerCase() === 'authorization') return own[name]
    return undefined
  }
  return new Headers(own).get('authorization')
}

function isPlainRecord(value: HeadersInit): value is Record<string, string> {
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

// An abort rejects as fetch does (the signal's reason), during the token wait too; token failures reject
// with the M3terAuthError itself.
async function tokenFor(
  auth: TokenProvider,
  signal: AbortSignal | undefined,
  waitUntil: WithM3terAuthOptions['waitUntil'],
): Promise<string> {
  try {
    return await auth.getToken({ signal, waitUntil })
  } catch (error) {
    if (signal?.aborted) throw signal.reason
    throw error
  }
}

// Duck-typed rather than `instanceof Request`: undici's fetch has its own Request class, and other
// realms (workers, vm contexts) theirs.
function isRequestLike(input: unknown): input is Request {
  const candidate = input as Partial<Request> | null
  return typeof candidate?.url === 'string' && typeof candidate.clone === 'function'
}

// A body fetch reads once: a redirect that keeps the body cannot send it again.
function isStream(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    (body instanceof ReadableStream || Symbol.asyncIterator in body)
  )
}

function ignore(): undefined {
  return undefined
}

export {
  type M3terSdkFetch,
  type M3terSdkOptions,
  type M3terSdkOptionsInput,
  m3terSdkOptions,
} from './sdk.ts'
