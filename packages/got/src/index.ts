import { isTokenRejected, type TokenProvider } from '@m3ter-auth/core'

// got 14 and got 16 each declare their own `Options` class, and classes with private members only match
// themselves, so the hooks are typed by the few members they use; both majors' objects fit these shapes.

/** What the hooks read and write on got's per-request options. */
export interface GotOptionsLike {
  url?: string | URL | undefined
  headers: Record<string, string | string[] | undefined>
  context: Record<string, unknown>
  body?: unknown
  signal?: unknown
  isStream?: boolean
}

/** What the hooks read on a got response. */
export interface GotResponseLike {
  statusCode: number
  url: string
  request: { options: GotOptionsLike }
}

/** The hooks {@link m3terAuthHooks} returns, ready for `got.extend({ hooks })`. */
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
 * got hooks that add m3ter Service User authentication. Requests to origins in the provider's scope get
 * `Authorization: Bearer <token>`; others are left as made. A 401 or 403 for the token sent invalidates
 * it and retries once through got's `retryWithMergedOptions` (never for one-shot stream bodies); the second
 * answer goes to the caller as got gives it. After a redirect to another origin no bearer is sent again.
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
export function m3terAuthHooks(auth: TokenProvider): M3terAuthGotHooks {
  return {
    // Runs before every attempt (retries included), so each attempt carries the current token.
    beforeRequest: [
      async (options) => {
        const url = options.url
        if (url === undefined || url === '' || options.context[CROSSED] === true || !auth.inScope(url)) return
        const signal = options.signal instanceof AbortSignal ? options.signal : undefined
        const authorization = await auth.authorize(url, { signal })
        if (authorization !== undefined) options.headers.authorization = authorization
      },
    ],
    beforeRedirect: [
      (options, response) => {
        const previous = response.request.options
        const from = previous.url === undefined ? '' : new URL(previous.url).origin
        const to = options.url === undefined ? '' : new URL(options.url).origin
        if (previous.context[CROSSED] !== true && from === to) return
        // got strips Authorization itself when host or port change; a scheme change (https to http on the
        // same host) it lets through, and beforeRequest must not put a bearer back on this or later hops.
        options.context[CROSSED] = true
        if (previous.context[CROSSED] !== true && auth.inScope(from)) delete options.headers.authorization
      },
    ],
    afterResponse: [
      (response, retryWithMergedOptions) => {
        const options = response.request.options
        const sent = bearerOf(options)
        if (!isTokenRejected(response.statusCode) || sent === undefined) return response
        if (options.context[RETRIED] === true || options.context[CROSSED] === true) return response
        if (!auth.inScope(response.url)) return response
        auth.invalidate(sent)
        if (isOneShot(options.body)) return response
        // beforeRequest runs again for the retry and fetches the new token; got 14 and 16 both let this
        // retry through even with `retry.limit: 0`. preserveHooks keeps the caller's later afterResponse
        // hooks for the retried answer; the RETRIED mark keeps this hook from retrying again.
        return retryWithMergedOptions({ context: { [RETRIED]: true }, preserveHooks: true })
      },
    ],
    beforeError: [
      (error) => {
        const { response, options } = error as { response?: GotResponseLike; options?: GotOptionsLike }
        const sent = options ? bearerOf(options) : undefined
        if (!options || sent === undefined || options.context[CROSSED] === true) return error
        // got.stream() skips afterResponse: it cannot retry, but a rejected token is still dropped so the
        // next request gets a new one.
        if (
          options.isStream &&
          response &&
          isTokenRejected(response.statusCode) &&
          auth.inScope(response.url)
        ) {
          auth.invalidate(sent)
        }
        // got errors carry their options, headers included, into JSON.stringify and util.inspect; no attempt
        // follows beforeError, so the bearer is taken out of what the caller may log.
        delete options.headers.authorization
        return error
      },
    ],
  }
}

function bearerOf(options: GotOptionsLike): string | undefined {
  const header = options.headers.authorization
  return typeof header === 'string' && header.startsWith('Bearer ')
    ? header.slice('Bearer '.length)
    : undefined
}

function isOneShot(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false
  const candidate = body as { pipe?: unknown; getReader?: unknown; [Symbol.asyncIterator]?: unknown }
  return (
    typeof candidate.pipe === 'function' ||
    typeof candidate.getReader === 'function' ||
    typeof candidate[Symbol.asyncIterator] === 'function'
  )
}
