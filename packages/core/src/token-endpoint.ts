import { parseRetryAfter } from './backoff-policy.ts'
import { M3terAuthError, type M3terAuthErrorCode } from './errors.ts'
import { scrubbed } from './scrub.ts'
import { buildTokenRequest } from './token-request.ts'
import { MAX_TOKEN_RESPONSE_BYTES, parseTokenResponse, type TokenAnswer } from './token-response.ts'
import type { Clock, Credentials } from './types.ts'

/**
 * How a failed attempt should be treated by the state machine.
 *
 * @example
 * ```ts
 * if (!attempt.ok && attempt.failure.retryable) scheduleRetry(attempt.failure.retryAfterMs)
 * ```
 */
export interface TokenFailure {
  readonly error: M3terAuthError
  /** 429, 5xx, network error, timeout: worth another attempt after a backoff. */
  readonly retryable: boolean
  /** 400/401/403: the key is bad or inactive; asking again with it only hammers the endpoint. */
  readonly credentialsRejected: boolean
  readonly retryAfterMs: number | undefined
}

/**
 * @example
 * ```ts
 * const attempt = await requestToken(exchange)
 * if (attempt.ok) use(attempt.answer)
 * ```
 */
export type TokenAttempt =
  | { readonly ok: true; readonly answer: TokenAnswer }
  | { readonly ok: false; readonly failure: TokenFailure }

export interface TokenExchange {
  readonly fetch: typeof globalThis.fetch
  readonly tokenUrl: string
  readonly credentials: Credentials
  readonly bodyEncoding: 'json' | 'form'
  readonly timeoutMs: number
  readonly clock: Clock
  /** Aborted when the provider closes. */
  readonly signal: AbortSignal
}

/**
 * One token request attempt: sends it, bounds it by `timeoutMs` on the injected clock (even when the
 * injected fetch ignores its AbortSignal), reads at most 64 KiB, and classifies the outcome. It never
 * throws; every failure comes back typed. Messages name the URL by origin and path only (a secret pasted
 * into its query is never printed back) and never quote the transport's own message, which may describe
 * the request; the cause is kept with any Basic or Bearer value scrubbed.
 *
 * @example
 * ```ts
 * const attempt = await requestToken({ fetch, tokenUrl, credentials, encoding: 'json', timeoutMs: 10_000, clock, signal })
 * if (attempt.ok) use(attempt.answer.accessToken)
 * ```
 */
export async function requestToken(exchange: TokenExchange): Promise<TokenAttempt> {
  const { url, init } = buildTokenRequest(exchange.tokenUrl, exchange.credentials, exchange.bodyEncoding)
  const { origin, pathname } = new URL(url)
  const where = `POST ${origin}${pathname}`
  const { clock, signal } = exchange
  const controller = new AbortController()
  // Rejects once the attempt is aborted (timeout or close), for a fetch or a body that ignores the signal.
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.onabort = reject
  })
  aborted.catch(() => {})
  let timedOut = false
  const timer = clock.setTimeout(() => {
    timedOut = true
    controller.abort()
  }, exchange.timeoutMs)
  // On close the timer goes at once, not when the aborted fetch settles: close() leaves nothing scheduled.
  const abort = () => {
    clock.clearTimeout(timer)
    controller.abort()
  }
  signal.addEventListener('abort', abort)
  const failure = (
    code: M3terAuthErrorCode,
    what: string,
    retryable: boolean,
    extra: { status?: number; cause?: unknown; retryAfterMs?: number } = {},
  ): TokenAttempt => ({
    ok: false,
    failure: {
      error: new M3terAuthError(code, `${where}: ${what}`, { ...extra, cause: scrubbed(extra.cause) }),
      retryable,
      credentialsRejected: code === 'invalid_credentials',
      retryAfterMs: extra.retryAfterMs,
    },
  })
  try {
    const response = await Promise.race([
      exchange.fetch(url, { ...init, signal: controller.signal }),
      aborted,
    ])
    const { status, headers } = response
    // Read (at most 64 KiB of) the body before deciding, so the connection is released either way.
    const body = await Promise.race([readCapped(response), aborted])
    if (status === 400 || status === 401 || status === 403) {
      return failure(
        'invalid_credentials',
        `answered ${status}; access key ${exchange.credentials.accessKeyId} is wrong or inactive`,
        false,
        { status },
      )
    }
    if (status < 200 || status > 399) {
      const retryable = status === 408 || status === 429 || status > 499
      const retryAfterMs = retryable ? parseRetryAfter(headers.get('retry-after'), clock.now()) : undefined
      return failure(
        'token_endpoint_unavailable',
        `answered ${status}`,
        retryable,
        retryAfterMs === undefined ? { status } : { status, retryAfterMs },
      )
    }
    // Following a redirect would send the Basic credentials wherever it points.
    if (status > 299)
      return failure('invalid_token_response', `answered a redirect (${status})`, false, { status })
    if (body === undefined)
      return failure('invalid_token_response', `answer is over ${MAX_TOKEN_RESPONSE_BYTES} bytes`, false, {
        status,
      })
    return { ok: true, answer: parseTokenResponse(body, where) }
  } catch (cause) {
    if (cause instanceof M3terAuthError)
      return {
        ok: false,
        failure: { error: cause, retryable: false, credentialsRejected: false, retryAfterMs: undefined },
      }
    if (timedOut) return failure('timeout', `no answer within ${exchange.timeoutMs} ms`, true, { cause })
    if (signal.aborted) return failure('aborted', 'the token provider was closed', false, { cause })
    // Not the transport's message: it may quote the request, headers included. Its code (ECONNREFUSED)
    // stays on the scrubbed cause.
    return failure('token_endpoint_unavailable', 'request failed', true, { cause })
  } finally {
    clock.clearTimeout(timer)
    signal.removeEventListener('abort', abort)
  }
}

/** The body as text, or undefined when it is larger than {@link MAX_TOKEN_RESPONSE_BYTES}. */
async function readCapped(response: Response): Promise<string | undefined> {
  const reader = response.body?.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let size = 0
  for (;;) {
    const chunk = await reader?.read()
    if (!chunk || chunk.done) return text + decoder.decode()
    size += chunk.value.byteLength
    if (size > MAX_TOKEN_RESPONSE_BYTES) {
      reader?.cancel().catch(() => {})
      return undefined
    }
    text += decoder.decode(chunk.value, { stream: true })
  }
}
