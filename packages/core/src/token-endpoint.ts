import { parseRetryAfter } from './backoff-policy.ts'
import { M3terAuthError } from './errors.ts'
import { buildTokenRequest } from './token-request.ts'
import { MAX_TOKEN_RESPONSE_BYTES, parseTokenResponse, type TokenAnswer } from './token-response.ts'
import type { Clock, Credentials } from './types.ts'

/** How a failed attempt should be treated by the state machine. */
export interface TokenFailure {
  readonly error: M3terAuthError
  /** 429, 5xx, network error, timeout: worth another attempt after a backoff. */
  readonly retryable: boolean
  /** 400/401/403: the key is bad or inactive; asking again with it only hammers the endpoint. */
  readonly credentialsRejected: boolean
  readonly retryAfterMs: number | undefined
}

export type TokenAttempt = { readonly ok: true; readonly answer: TokenAnswer } | { readonly ok: false; readonly failure: TokenFailure }

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
 * One token request attempt: sends it, bounds it by `timeoutMs` on the injected clock, reads at most
 * 64 KiB, and classifies the outcome. It never throws; every failure comes back typed.
 *
 * @example
 * ```ts
 * const attempt = await requestToken({ fetch, tokenUrl, credentials, encoding: 'json', timeoutMs: 10_000, clock, signal })
 * if (attempt.ok) use(attempt.answer.accessToken)
 * ```
 */
export async function requestToken(exchange: TokenExchange): Promise<TokenAttempt> {
  const { url, init } = buildTokenRequest(exchange.tokenUrl, exchange.credentials, exchange.bodyEncoding)
  const where = `POST ${url}`
  const controller = new AbortController()
  let timedOut = false
  const onClose = () => controller.abort()
  exchange.signal.addEventListener('abort', onClose, { once: true })
  const timer = exchange.clock.setTimeout(() => {
    timedOut = true
    controller.abort()
  }, exchange.timeoutMs)
  try {
    const response = await exchange.fetch(url, { ...init, signal: controller.signal })
    const status = response.status
    const bodyText = await readCapped(response, where)
    if (status >= 200 && status < 300) return { ok: true, answer: parseTokenResponse(bodyText, where) }
    return { ok: false, failure: classifyStatus(status, response.headers, where, exchange) }
  } catch (cause) {
    if (cause instanceof M3terAuthError) return failure(cause, false)
    if (timedOut) {
      return failure(new M3terAuthError('timeout', `${where}: no answer within ${exchange.timeoutMs} ms`, { cause }), true)
    }
    if (exchange.signal.aborted) {
      return failure(new M3terAuthError('aborted', `${where}: the token provider was closed`, { cause }), false)
    }
    return failure(
      new M3terAuthError('token_endpoint_unavailable', `${where}: request failed (${describe(cause)})`, { cause }),
      true,
    )
  } finally {
    exchange.clock.clearTimeout(timer)
    exchange.signal.removeEventListener('abort', onClose)
  }
}

function classifyStatus(status: number, headers: Headers, where: string, exchange: TokenExchange): TokenFailure {
  if (status === 400 || status === 401 || status === 403) {
    return {
      error: new M3terAuthError(
        'invalid_credentials',
        `${where}: answered ${status}; access key ${exchange.credentials.accessKeyId} is wrong or inactive`,
        { status },
      ),
      retryable: false,
      credentialsRejected: true,
      retryAfterMs: undefined,
    }
  }
  if ((status >= 300 && status < 400) || status === 0) {
    // Following it would send the Basic credentials wherever the redirect points.
    const error = new M3terAuthError('invalid_token_response', `${where}: answered a redirect (${status}); token endpoints must not redirect`, { status })
    return { error, retryable: false, credentialsRejected: false, retryAfterMs: undefined }
  }
  const retryable = status === 408 || status === 429 || status >= 500
  return {
    error: new M3terAuthError('token_endpoint_unavailable', `${where}: answered ${status}`, { status }),
    retryable,
    credentialsRejected: false,
    retryAfterMs: retryable ? parseRetryAfter(headers.get('retry-after'), exchange.clock.now()) : undefined,
  }
}

async function readCapped(response: Response, where: string): Promise<string> {
  const tooLarge = () =>
    new M3terAuthError('invalid_token_response', `${where}: answer is larger than ${MAX_TOKEN_RESPONSE_BYTES} bytes`, {
      status: response.status,
    })
  const declared = Number(response.headers.get('content-length'))
  if (declared > MAX_TOKEN_RESPONSE_BYTES) {
    await response.body?.cancel().catch(() => {})
    throw tooLarge()
  }
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > MAX_TOKEN_RESPONSE_BYTES) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(bytes)
}

function failure(error: M3terAuthError, retryable: boolean): TokenAttempt {
  return { ok: false, failure: { error, retryable, credentialsRejected: false, retryAfterMs: undefined } }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause.cause as { code?: unknown } | undefined)?.code
    return typeof code === 'string' ? `${cause.message}: ${code}` : cause.message
  }
  return String(cause)
}
