import { M3terAuthError, type M3terAuthErrorCode } from './errors.ts'
import { scrubbed } from './scrub.ts'
import type { TokenAnswer } from './token-answer.ts'

/**
 * A failed token request, with what the state machine needs to decide what to do next.
 *
 * @example
 * ```ts
 * if (!attempt.ok && attempt.failure.retryable) scheduleRetry(attempt.failure.retryAfterMs)
 * ```
 */
export interface TokenFailure {
  readonly error: M3terAuthError
  /** 408, 429, 5xx, network error, timeout: worth another attempt after a backoff. */
  readonly retryable: boolean
  /** 400/401/403: the key is bad or inactive; asking again with it only hammers the endpoint. */
  readonly credentialsRejected: boolean
  /** From the answer's `Retry-After`, when it was retryable and said when to come back. */
  readonly retryAfterMs: number | undefined
}

/**
 * The outcome of one token request: the validated answer, or a typed failure. Token requests never throw.
 *
 * @example
 * ```ts
 * const attempt = await requestToken(exchange)
 * if (attempt.ok) use(attempt.answer.accessToken)
 * else if (attempt.failure.credentialsRejected) switchKey()
 * ```
 */
export type TokenAttempt =
  | { readonly ok: true; readonly answer: TokenAnswer }
  | { readonly ok: false; readonly failure: TokenFailure }

/**
 * A failed attempt whose error says `where` (see `describeTokenRequest`) and `what` went wrong. The cause
 * is kept as a copy with every Basic or Bearer value scrubbed; only `invalid_credentials` counts as the
 * key being rejected.
 *
 * @param where - the request as messages name it, e.g. `POST https://api.m3ter.com/oauth/token`
 * @param what - what went wrong, never quoting a body, a header or the transport's message
 * @example
 * ```ts
 * tokenFailure('POST https://api.m3ter.com/oauth/token', 'token_endpoint_unavailable', 'answered 503', true, { status: 503, retryAfterMs: 2000 })
 * ```
 */
export function tokenFailure(
  where: string,
  code: M3terAuthErrorCode,
  what: string,
  retryable: boolean,
  extra: { status?: number; cause?: unknown; retryAfterMs?: number | undefined } = {},
): TokenAttempt {
  return {
    ok: false,
    failure: {
      error: new M3terAuthError(code, `${where}: ${what}`, { ...extra, cause: scrubbed(extra.cause) }),
      retryable,
      credentialsRejected: code === 'invalid_credentials',
      retryAfterMs: extra.retryAfterMs,
    },
  }
}

/**
 * What a request that got no answer means: `fetch` or the body read threw (or was abandoned) with `cause`.
 * A timeout and a refused or dropped connection are worth retrying; closing the provider is not. The
 * message never quotes the transport's own, which may describe the request, headers included; its code
 * (`ECONNREFUSED`) stays on the scrubbed cause.
 *
 * @param how - whether this attempt's own timer fired (`timedOut`), whether the provider was closed
 *   (`closed`), and the timeout, for the message
 * @example
 * ```ts
 * transportFailure(new TypeError('fetch failed'), 'POST https://api.m3ter.com/oauth/token', { timedOut: false, closed: false, timeoutMs: 10_000 })
 * // token_endpoint_unavailable, retryable
 * ```
 */
export function transportFailure(
  cause: unknown,
  where: string,
  how: { readonly timedOut: boolean; readonly closed: boolean; readonly timeoutMs: number },
): TokenAttempt {
  // Already typed and free of secrets (an injected fetch wrapped by an adapter, say): passed on as is.
  if (cause instanceof M3terAuthError)
    return {
      ok: false,
      failure: { error: cause, retryable: false, credentialsRejected: false, retryAfterMs: undefined },
    }
  if (how.timedOut)
    return tokenFailure(where, 'timeout', `no answer within ${how.timeoutMs} ms`, true, { cause })
  if (how.closed) return tokenFailure(where, 'closed', 'the token provider was closed', false, { cause })
  const code = transportCode(cause)
  const what = code ? `request failed (${code})` : 'request failed'
  return tokenFailure(where, 'token_endpoint_unavailable', what, true, { cause })
}

/**
 * The network error's code and where it pointed (`ECONNREFUSED 127.0.0.1:4010`, `ENOTFOUND api.m3ter.com`),
 * found in the cause chain (fetch's `TypeError: fetch failed` holds the socket's error; Node's happy
 * eyeballs an AggregateError of them). Only these fields are read, never a message: a message may quote
 * the request.
 *
 * @example
 * ```ts
 * transportCode(new TypeError('fetch failed', { cause: { code: 'ENOTFOUND', hostname: 'api.m3ter.com' } }))
 * // 'ENOTFOUND api.m3ter.com'
 * ```
 */
export function transportCode(cause: unknown): string | undefined {
  let current = cause as NetworkErrorFields | undefined
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    if (typeof current.code === 'string' && /^[A-Z][A-Z0-9_]{2,40}$/.test(current.code)) {
      const host = current.hostname ?? current.address ?? current.errors?.[0]?.address
      const port = current.port ?? current.errors?.[0]?.port
      const at = typeof host === 'string' && /^[\w.:[\]-]{1,255}$/.test(host) ? host : undefined
      return [current.code, at && (typeof port === 'number' ? `${at}:${port}` : at)].filter(Boolean).join(' ')
    }
    current = (current.cause ?? current.errors?.[0]) as NetworkErrorFields | undefined
  }
  return undefined
}

interface NetworkErrorFields {
  readonly code?: unknown
  readonly hostname?: unknown
  readonly address?: unknown
  readonly port?: unknown
  readonly cause?: unknown
  readonly errors?: readonly { readonly address?: unknown; readonly port?: unknown }[]
}
