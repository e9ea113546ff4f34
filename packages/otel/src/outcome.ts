import type { M3terAuthErrorCode, RefreshReason } from '@m3ter-auth/core'

/**
 * What became of a token request, in the words an operator reads on a dashboard.
 *
 * @example
 * ```ts
 * const paging: ReadonlySet<TokenOutcome> = new Set(['invalid_credentials', 'unavailable', 'timeout'])
 * ```
 */
export type TokenOutcome =
  | 'ok'
  | 'invalid_credentials'
  | 'unavailable'
  | 'timeout'
  | 'invalid_response'
  | 'missing_credentials'
  | 'aborted'
  | 'invalid_options'
  | 'insecure_url'
  | 'abandoned'

const OUTCOMES: Record<M3terAuthErrorCode, TokenOutcome> = {
  token_endpoint_unavailable: 'unavailable',
  invalid_token_response: 'invalid_response',
  invalid_credentials: 'invalid_credentials',
  timeout: 'timeout',
  missing_credentials: 'missing_credentials',
  aborted: 'aborted',
  // A request cut short by close(): for a dashboard, the same as one its caller gave up on.
  closed: 'aborted',
  invalid_options: 'invalid_options',
  insecure_url: 'insecure_url',
}

/**
 * The outcome for an error code (codes added to core later map to themselves).
 *
 * @example
 * ```ts
 * auth.subscribe((event) => {
 *   if (event.type === 'refresh_failed') logger.warn({ outcome: outcomeOf(event.code) }, 'token request failed')
 * })
 * ```
 */
export function outcomeOf(code: M3terAuthErrorCode): TokenOutcome {
  return OUTCOMES[code] ?? (code as TokenOutcome)
}

/**
 * Why a refresh started, as the metrics name it: `ahead` (the refresh window; callers keep being served),
 * `rotated` (new credentials while a request was in flight). `undefined` for a retry, which is an attempt
 * of a refresh already counted.
 *
 * @example
 * ```ts
 * auth.subscribe((event) => {
 *   const reason = event.type === 'fetch_started' ? refreshReasonOf(event.reason) : undefined
 *   if (reason) logger.info({ reason }, 'token refresh') // 'cold', 'ahead', 'invalidated', ...
 * })
 * ```
 */
export function refreshReasonOf(reason: RefreshReason): string | undefined {
  switch (reason) {
    case 'refresh_window':
      return 'ahead'
    case 'credentials_changed':
      return 'rotated'
    case 'retry':
      return undefined
    default:
      return reason
  }
}
