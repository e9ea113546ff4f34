import type { Clock } from './clock.ts'
import type { Credentials } from './credentials.ts'
import { type TokenAttempt, transportFailure } from './token-failure.ts'
import { buildTokenRequest, describeTokenRequest } from './token-request.ts'
import { MAX_TOKEN_RESPONSE_BYTES, processTokenResponse } from './token-response.ts'

/**
 * Everything one token request needs: where and how to send it, and what bounds it.
 *
 * @example
 * ```ts
 * const exchange: TokenExchange = {
 *   fetch: globalThis.fetch,
 *   tokenUrl: 'https://api.m3ter.com/oauth/token',
 *   credentials: { accessKeyId, apiSecret },
 *   bodyEncoding: 'json',
 *   timeoutMs: 10_000,
 *   clock: systemClock,
 *   signal: new AbortController().signal,
 * }
 * ```
 */
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
 * One token request attempt, and only its I/O: `buildTokenRequest` makes the request, the injected
 * fetch sends it, at most `MAX_TOKEN_RESPONSE_BYTES` of the body are read, and
 * `processTokenResponse` says what the answer means. The attempt is bounded by `timeoutMs` on the
 * injected clock, even when the injected fetch ignores its AbortSignal. It never throws; every failure
 * comes back typed, with the cause scrubbed of any Basic or Bearer value.
 *
 * @example
 * ```ts
 * const attempt = await requestToken({ fetch, tokenUrl, credentials, bodyEncoding: 'json', timeoutMs: 10_000, clock, signal })
 * if (attempt.ok) use(attempt.answer.accessToken)
 * ```
 */
export async function requestToken(exchange: TokenExchange): Promise<TokenAttempt> {
  const { tokenUrl, credentials, clock } = exchange
  const { url, init } = buildTokenRequest(tokenUrl, credentials, exchange.bodyEncoding)
  const where = describeTokenRequest(url)
  const deadline = startDeadline(exchange)
  try {
    const response = await Promise.race([
      exchange.fetch(url, { ...init, signal: deadline.signal }),
      deadline.aborted,
    ])
    // Read (at most 64 KiB of) the body before deciding, so the connection is released either way.
    const body = await Promise.race([readCapped(response), deadline.aborted])
    const { status, headers } = response
    return processTokenResponse(
      { status, headers, body },
      { tokenUrl, accessKeyId: credentials.accessKeyId },
      clock.now(),
    )
  } catch (cause) {
    const how = {
      timedOut: deadline.timedOut(),
      closed: exchange.signal.aborted,
      timeoutMs: exchange.timeoutMs,
    }
    return transportFailure(cause, where, how)
  } finally {
    deadline.stop()
  }
}

/**
 * The attempt's own AbortSignal, aborted when `timeoutMs` passes on the clock or the provider closes, and
 * `aborted`, which rejects at that moment: raced against a fetch or a body read that ignores the signal.
 */
function startDeadline({ clock, timeoutMs, signal }: TokenExchange) {
  const controller = new AbortController()
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.onabort = reject
  })
  aborted.catch(() => {})
  let timedOut = false
  const timer = clock.setTimeout(() => {
    timedOut = true
    controller.abort()
  }, timeoutMs)
  // On close the timer goes at once, not when the aborted fetch settles: close() leaves nothing scheduled.
  const abort = () => {
    clock.clearTimeout(timer)
    controller.abort()
  }
  signal.addEventListener('abort', abort)
  return {
    signal: controller.signal,
    aborted,
    timedOut: () => timedOut,
    stop() {
      clock.clearTimeout(timer)
      signal.removeEventListener('abort', abort)
    },
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
