import { isTokenRejected, type TokenProvider } from '@m3ter-auth/core'

// ky 1 calls hooks with positional arguments, (request, options[, response], state); ky 2 with one state
// object, ({ request, options, response?, retryCount }). Each hook accepts both and reads what it needs,
// so the hooks are typed loosely enough to fit either major's Hooks type.
type AnyHook<R> = (...args: unknown[]) => Promise<R>

/** Options of {@link m3terAuth}. */
export interface M3terAuthKyOptions {
  /**
   * The fetch the one retry after a 401/403 goes through. ky 1 hands its own `fetch` option to hooks and
   * that one is used; ky 2 does not, so give the same `fetch` here if you give ky one. Default: global fetch.
   */
  readonly fetch?: typeof globalThis.fetch
}

/** What {@link m3terAuth} returns: options for `ky.extend(...)` or `ky.create(...)`. */
export interface M3terAuthKyExtension {
  hooks: {
    beforeRequest: Array<AnyHook<void>>
    beforeRetry: Array<AnyHook<void>>
    afterResponse: Array<AnyHook<Response | undefined>>
  }
}

interface HookState {
  request: Request
  options: { body?: unknown; fetch?: typeof globalThis.fetch }
  response?: Response
}

/**
 * ky hooks that add m3ter Service User authentication, for ky 1 and ky 2. Requests to origins in the
 * provider's scope get `Authorization: Bearer <token>`; others are left as made. A 401 or 403 for the
 * token sent invalidates it and the request is sent once more with a new token (not for stream bodies);
 * the second answer goes on through ky as usual (an `HTTPError` unless `throwHttpErrors` is off).
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
  // The Request is ky's own per call, built from the caller's options, so its headers are ours to set.
  const authorize = async ({ request }: HookState): Promise<void> => {
    if (!auth.inScope(request.url)) return
    const authorization = await auth.authorize(request.url, { signal: request.signal })
    if (authorization !== undefined) request.headers.set('authorization', authorization)
  }
  return {
    hooks: {
      beforeRequest: [async (...args) => authorize(stateOf(args))],
      // ky 2 runs beforeRequest once per call, so its own retries would resend the first token; ky 1 runs
      // it again anyway. Refreshing the header here covers both.
      beforeRetry: [
        async (...args) => {
          const state = stateOf(args)
          if (bearerOf(state.request) !== undefined) await authorize(state)
        },
      ],
      afterResponse: [
        async (...args) => {
          const { request, options: kyOptions, response } = stateOf(args)
          if (!response || !isTokenRejected(response.status)) return undefined
          const sent = bearerOf(request)
          // A redirect to another origin lost the bearer on the way (fetch drops it): not our token's fault.
          if (sent === undefined || !auth.inScope(request.url) || !sameOrigin(response.url, request.url)) {
            return undefined
          }
          auth.invalidate(sent)
          const body = kyOptions.body
          if (isOneShot(body)) return undefined
          const authorization = await auth.authorize(request.url, { signal: request.signal })
          if (authorization === undefined) return undefined
          // Sent here rather than through ky.retry(), which needs retry.limit > 0 and counts against it. The
          // answer replaces the first one for the hooks after this one and for the caller; ky runs no
          // afterResponse hook on it again, so this retry happens once per attempt and cannot loop.
          const send = kyOptions.fetch ?? options.fetch ?? globalThis.fetch
          return send(rebuild(request, body, authorization))
        },
      ],
    },
  }
}

function stateOf(args: unknown[]): HookState {
  const [first, second, third] = args
  if (first instanceof Request || (typeof first === 'object' && first !== null && 'url' in first)) {
    return {
      request: first as Request,
      options: (second ?? {}) as HookState['options'],
      response: third as Response,
    }
  }
  return first as HookState
}

function rebuild(request: Request, body: unknown, authorization: string): Request {
  const headers = new Headers(request.headers)
  headers.set('authorization', authorization)
  // ky 1 (and ky 2 with retries on) hands hooks an unsent clone; ky 2 without retries hands over the
  // request it sent, whose body is gone, so that one is rebuilt from the body the caller gave.
  if (!request.bodyUsed) return new Request(request.clone(), { headers })
  // FormData is encoded afresh with a new boundary; the old content-type would name the old one.
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
