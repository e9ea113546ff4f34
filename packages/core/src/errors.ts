/**
 * Every failure of m3ter-auth is an {@link M3terAuthError} with one of these codes.
 *
 * @example
 * ```ts
 * import { ErrorCode, isM3terAuthError } from '@m3ter-auth/core'
 * try { await auth.getToken() } catch (e) {
 *   if (isM3terAuthError(e) && e.code === ErrorCode.InvalidCredentials) rotateKeys()
 * }
 * ```
 */
export const ErrorCode = {
  MissingCredentials: 'missing_credentials',
  InvalidOptions: 'invalid_options',
  InsecureUrl: 'insecure_url',
  InvalidCredentials: 'invalid_credentials',
  InvalidTokenResponse: 'invalid_token_response',
  TokenEndpointUnavailable: 'token_endpoint_unavailable',
  Timeout: 'timeout',
  Aborted: 'aborted',
} as const

/**
 * The `code` of an {@link M3terAuthError}.
 *
 * @example
 * ```ts
 * const retryable = (code: M3terAuthErrorCode) => code === 'timeout' || code === 'token_endpoint_unavailable'
 * ```
 */
export type M3terAuthErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

const NAME = 'M3terAuthError'

/**
 * The one error class of m3ter-auth. Its message names the method and URL that failed, never a secret
 * or a token; `status` is the token endpoint's HTTP status where there was one.
 *
 * @example
 * ```ts
 * throw new M3terAuthError('invalid_options', 'createTokenProvider: timeoutMs must be a positive number')
 * ```
 */
export class M3terAuthError extends Error {
  override readonly name = NAME
  readonly code: M3terAuthErrorCode
  readonly status?: number

  constructor(code: M3terAuthErrorCode, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    if (options.status !== undefined) this.status = options.status
  }
}

/**
 * True for an {@link M3terAuthError}, also one made by another copy of this package or in another realm
 * (matched by name and code), so that adapters and apps with duplicated installs agree.
 *
 * @example
 * ```ts
 * if (isM3terAuthError(err) && err.code === 'timeout') retryLater()
 * ```
 */
export function isM3terAuthError(value: unknown): value is M3terAuthError {
  if (value instanceof M3terAuthError) return true
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as { name?: unknown; code?: unknown }
  return (
    candidate.name === NAME &&
    typeof candidate.code === 'string' &&
    (Object.values(ErrorCode) as string[]).includes(candidate.code)
  )
}

/**
 * Finds an {@link M3terAuthError} in an error or its `cause` chain, as HTTP clients wrap hook errors.
 *
 * @example
 * ```ts
 * const authError = findM3terAuthError(axiosError)
 * ```
 */
export function findM3terAuthError(value: unknown): M3terAuthError | undefined {
  let current: unknown = value
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    if (isM3terAuthError(current)) return current
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}
