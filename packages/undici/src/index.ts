import type { TokenPool, TokenProvider } from '@m3ter-auth/core'
import { bearerHeader, providerFor, requireTokenProvider, shouldAuthorize } from '@m3ter-auth/core/internals'
import type { Dispatcher } from 'undici'
import { AuthorizedRequest, HANDLED, type Marked } from './handler.ts'
import { headerIn, withAuthorization } from './headers.ts'

/**
 * An undici interceptor that puts `Authorization: Bearer <token>` on requests core's request policy
 * authorizes (in scope, not the token endpoint, no own `Basic`) and, when the policy calls an answer a
 * token rejection, refreshes the token and retries the request once. Only the origin a request was made
 * for gets the bearer: with `interceptors.redirect` on either side, a hop to another origin (the other
 * in-scope one included) gets none. Compose `interceptors.redirect` after this interceptor (outside it, as
 * below) so that every hop is judged, and a same-origin redirect to the token endpoint gets no bearer;
 * composed before (inside), its hops never pass through here. Requests it does not authorize pass through
 * untouched.
 *
 * Given a pool (`createTokenPool`), each request uses the member of the organisation in its URL.
 *
 * Works with undici 7 and 8, with `Dispatcher.compose` and as the dispatcher of undici's fetch. Strings,
 * bytes, FormData and Blob bodies are retried; streams and async iterables, which is every body undici's
 * fetch dispatches, are not: the caller gets the first 401/403.
 *
 * @example
 * ```ts
 * import { Agent, interceptors, request } from 'undici'
 * import { createTokenProvider } from '@m3ter-auth/core'
 * import { m3terAuthInterceptor } from '@m3ter-auth/undici'
 *
 * const auth = createTokenProvider() // M3TER_API_KEY and M3TER_API_SECRET from the environment
 * const dispatcher = new Agent().compose(m3terAuthInterceptor(auth), interceptors.redirect({ maxRedirections: 3 }))
 * const url = `https://api.m3ter.com/organizations/${process.env.M3TER_ORG_ID}/meters`
 * const { statusCode, body } = await request(url, { dispatcher })
 * const page = await body.json()
 * ```
 */
export function m3terAuthInterceptor(
  auth: TokenProvider | TokenPool,
): Dispatcher.DispatcherComposeInterceptor {
  requireTokenProvider(auth, 'm3terAuthInterceptor(auth)')
  // Scope is a property of the origin alone, so each origin is judged once: parsing a URL per request
  // costs more than the rest of the interceptor together.
  const judged = new Map<string, boolean>()
  const inScope = (origin: string): boolean => {
    let verdict = judged.get(origin)
    if (verdict === undefined) {
      verdict = auth.inScope(new URL('/', origin))
      if (judged.size >= 64) judged.clear()
      judged.set(origin, verdict)
    }
    return verdict
  }
  // The header value of this provider's last token, built once: requests until the next refresh reuse it.
  let lastToken = ''
  let lastBearer = ''
  const sign = (opts: Marked, token: string) => {
    if (token !== lastToken) {
      lastBearer = bearerHeader(token)
      lastToken = token
    }
    opts.headers = withAuthorization(opts.headers, lastBearer)
  }
  // The origin each handler was first dispatched to. A redirect interceptor outside this one dispatches
  // every hop with its one handler: a hop to another origin, in scope or not, gets no bearer.
  const firstOrigin = new WeakMap<object, string>()
  return (next) =>
    // Exactly two declared parameters: compose() rejects a dispatch function of any other length.
    function m3terAuthDispatch(opts, handler) {
      // Read the caller's options once, by copying them, and from then on read the copy: on Node 20 the
      // options undici's request()/fetch build are slow to read. The caller's object still goes on,
      // untouched, when we pass.
      const own: Marked = Object.assign({}, opts)
      const origin = own.origin === undefined ? '' : String(own.origin)
      const first = firstOrigin.get(handler)
      if (first === undefined) firstOrigin.set(handler, origin)
      if (own[HANDLED] || !origin || (first !== undefined && first !== origin) || !inScope(origin)) {
        return next(opts, handler)
      }
      // Built once and handed on: the handler judges the answer by the same URL.
      const url = `${origin.endsWith('/') ? origin.slice(0, -1) : origin}${own.path}`
      const authorization = headerIn(own.headers, 'authorization')
      const send = (member: TokenProvider | undefined): boolean => {
        if (!member || !shouldAuthorize(member, url, authorization)) return next(opts, handler)
        new AuthorizedRequest({ auth: member, url, sign }, next, own, handler).start()
        return true
      }
      // A pool's member for this URL's organisation; a provider is its own. A member still being created
      // is waited for, with the request taken in the meantime.
      const member = providerFor(auth, url, authorization)
      if (!(member instanceof Promise)) return send(member)
      member.then(send, (error: Error) => refuse(handler, error))
      return true
    } satisfies Dispatcher['dispatch']
}

// The organisation's member could not be made (its credentials lookup failed): the request fails with that
// error before it was sent, as a token failure would.
function refuse(handler: Dispatcher.DispatchHandler, error: Error): void {
  const controller = {
    aborted: true,
    paused: false,
    reason: error,
    abort: () => undefined,
    pause: () => undefined,
    resume: () => undefined,
  }
  handler.onRequestStart?.(controller, {})
  handler.onResponseError?.(controller, error)
}
