import { isTokenRejected, type TokenProvider } from '@m3ter-auth/core'

// ky 1 calls hooks with positional arguments, (request, options[, response], state); ky 2 with one state
// object, ({ request, options, response?, retryCount }). Each hook accepts both and reads what it needs,
// so the hooks are typed loosely enough to fit either major's Hooks type.
type AnyHook<R> = (...args: unknown[]) => Promise<R>

/** Options of {@link m3terAuth}. */
export interface M3terAuthKyOptions {
  /**
   * The fetch every request goes through (ky's own `fetch` option is where this adapter sits, so give yours
   * here rather than to ky). Default: global fetch.
   */
  readonly fetch?: typeof globalThis.fetch | undefined
}

/** What {@link m3terAuth} returns: options for `ky.extend(...)` or `ky.create(...)`. */
export interface M3terAuthKyExtension {
  fetch: typeof globalThis.fetch
  hooks: {
    beforeRequest: Array<AnyHook<void>>
    beforeRetry: Array<AnyHook<void>>
    /** Returns the error it was given (typed `never` so it fits ky 1's HTTPError and ky 2's Error hooks). */
    beforeError: Array<AnyHook<never>>
  }
}

interface HookState {
  request: Request
  options: { body?: unknown }
}

/**
 * ky options that add m3ter Service User authentication, for ky 1 and ky 2. Requests to origins in the
 * provider's scope get `Authorization: Bearer <token>`; others are left as made. A 401 or 403 for the
 * token sent invalidates it and the request is sent once more with a new token (not for stream bodies);
 * the second answer goes on through ky as usual (an `HTTPError` unless `throwHttpErrors` is off).
 *
 * The retry lives in the returned `fetch`, so pass your own fetch as `m3terAuth(auth, { fetch })`: a
 * `fetch` given to ky later replaces this one and with it the retry.
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
export function m3terAuth(auth: TokenProvider, options: M3terAuthKyOptions = {}): M3terAuthKyExtension {
  const send = options.fetch ?? globalThis.fetch
  // The body each request was made from, by request: fetch only sees the Request, whose body is a stream
  // whatever the caller gave, and a retry must know whether that body can be sent again and rebuild it.
  const bodies = new WeakMap<Request, unknown>()
  const remember = ({ request, options: kyOptions }: HookState): void => {
    if (request.body !== null) bodies.set(request, kyOptions.body)
  }
  // The Request is ky's own per call, built from the caller's options, so its headers are ours to set.
  // The bearer is set in a hook rather than in fetch so that a token failure takes ky's hook error path
  // (ky 2 does not retry it) and a later `fetch` option that replaces ours still leaves requests signed.
  const authorize = async ({ request }: HookState): Promise<void> => {
    if (!auth.inScope(request.url)) return
    const authorization = await auth.authorize(request.url, { signal: request.signal })
    if (authorization !== undefined) request.headers.set('authorization', authorization)
  }

  // The 401/403 retry sits here rather than in an afterResponse hook: ky clones (tees) the response for
  // every afterResponse hook, which cost about a fifth of the throughput for a check that almost never
  // fires. Here the retry is local to one fetch call and happens at most once in it, so it cannot loop,
  // and ky's own hooks see one request and only the answer this returns.
  const fetchWithRetry = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const response = await send(input, init)
    if (!isTokenRejected(response.status) || !(input instanceof Request)) return response
    const request = input
    const sent = bearerOf(request)
    // A redirect to another origin lost the bearer on the way (fetch drops it): not our token's fault.
    if (sent === undefined || !auth.inScope(request.url) || !sameOrigin(response.url, request.url)) {
      return response
    }
    auth.invalidate(sent)
    const body = request.body === null ? undefined : bodies.get(request)
    // A body we did not see made (a Request swapped in by another hook) counts as one-shot: safe side.
    if (request.body !== null && (body === undefined || isOneShot(body))) return response
    const authorization = await auth.authorize(request.url, { signal: request.signal })
    if (authorization === undefined) return response
    // The first answer is dropped; cancelling its body lets the connection go back to the pool.
    void response.body?.cancel().catch(() => undefined)
    return send(rebuild(request, body, authorization), init)
  }

  return {
    fetch: fetchWithRetry as typeof globalThis.fetch,
    hooks: {
      beforeRequest: [
        async (...args) => {
          const state = stateOf(args)
          remember(state)
          await authorize(state)
        },
      ],
      // ky 2 runs beforeRequest once per call, so its own retries would resend the first token; ky 1 runs
      // it again anyway. Refreshing the header here covers both; the retried Request is a clone, so its
      // body is remembered again.
      beforeRetry: [
        async (...args) => {
          const state = stateOf(args)
          remember(state)
          if (bearerOf(state.request) !== undefined) await authorize(state)
        },
      ],
      // An HTTPError keeps the Request it failed on, and util.inspect (console.log) prints its headers,
      // bearer included. It stays readable as `error.request`, but is no longer enumerable, so a logged
      // error does not show it. (ky 1 passes the error; ky 2 a state object holding it.)
      beforeError: [
        async (...args) => {
          const error = (
            args[0] instanceof Error ? args[0] : (args[0] as { error: Error }).error
          ) as Error & {
            request?: unknown
          }
          if (error.request instanceof Request && bearerOf(error.request) !== undefined) {
            Object.defineProperty(error, 'request', { enumerable: false })
          }
          return error as never
        },
      ],
    },
  }
}

function stateOf(args: unknown[]): HookState {
  const [first, second] = args
  if (first instanceof Request || (typeof first === 'object' && first !== null && 'url' in first)) {
    return { request: first as Request, options: (second ?? {}) as HookState['options'] }
  }
  return first as HookState
}

function rebuild(request: Request, body: unknown, authorization: string): Request {
  const headers = new Headers(request.headers)
  headers.set('authorization', authorization)
  if (body === undefined) return new Request(request, { headers })
  // The sent Request's body is gone, so the new one is built from the body the caller gave. FormData is
  // encoded afresh with a new boundary; the old content-type would name the old one.
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

function bearerOf(request: Request): string | undefined {
  const header = request.headers.get('authorization')
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined
}

function sameOrigin(a: string, b: string): boolean {
  if (a === '' || a === b) return true
  try {
    return new URL(a).origin === new URL(b).origin
  } catch {
    return false
  }
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
