/**
 * Every failure of m3ter-auth is an {@link M3terAuthError} with one of these codes; the constants spare
 * a typo in a string.
 *
 * @example
 * ```ts
 * import { ErrorCode, isM3terAuthError } from '@m3ter-auth/core'
 *
 * try {
 *   await auth.getToken()
 * } catch (e) {
 *   if (isM3terAuthError(e) && e.code === ErrorCode.InvalidCredentials) await rotateKeys()
 *   else throw e
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
  Closed: 'closed',
} as const

/**
 * The `code` of an {@link M3terAuthError}: what went wrong, for a program to decide on. The first three are
 * mistakes in the setup (fix the configuration), `invalid_credentials` is a key m3ter refused (rotate it),
 * `invalid_token_response` a token endpoint that answered something unusable, `token_endpoint_unavailable`
 * and `timeout` are worth trying again later, `aborted` is the caller's own signal, and `closed` a provider used
 * after `close()`.
 *
 * @example
 * ```ts
 * // An HTTP API in front of m3ter: which status its own callers get when no token can be had.
 * function statusFor(code: M3terAuthErrorCode): number {
 *   return code === 'timeout' || code === 'token_endpoint_unavailable' ? 503 : 500
 * }
 * ```
 */
export type M3terAuthErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

const NAME = 'M3terAuthError'

// Shared by every copy of core (ESM and CJS builds, duplicated installs, other realms): the global symbol
// registry is one per process, so `instanceof` can recognise an error made by any of them.
const BRAND: unique symbol = Symbol.for('@m3ter-auth/core.M3terAuthError') as never

/**
 * The one error class of m3ter-auth. Its message names the method and URL that failed, never a secret
 * or a token; `status` is the token endpoint's HTTP status where there was one; `cause` is what failed
 * underneath (a network error, say), with any credential scrubbed from it. Safe to log as it is.
 *
 * `instanceof M3terAuthError` also recognises an error made by another copy of the package (its ESM and
 * CommonJS builds, a duplicated install); {@link isM3terAuthError} does too, and narrows an `unknown`.
 *
 * @example
 * ```ts
 * try {
 *   await auth.getToken()
 * } catch (error) {
 *   if (!(error instanceof M3terAuthError)) throw error
 *   log.error(error.message, { code: error.code, status: error.status })
 * }
 * ```
 */
export class M3terAuthError extends Error {
  override readonly name = NAME
  readonly code: M3terAuthErrorCode
  readonly status?: number
  /**
   * How long the token endpoint asked us to wait (its `Retry-After`, in ms), where it said so. Until then
   * callers without a valid token fail fast with this error; a caller may schedule its own retry by it.
   */
  readonly retryAfterMs?: number

  constructor(
    code: M3terAuthErrorCode,
    message: string,
    options: { cause?: unknown; status?: number; retryAfterMs?: number | undefined } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    if (options.status !== undefined) this.status = options.status
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs
    Object.defineProperty(this, BRAND, { value: true })
  }

  /**
   * `instanceof M3terAuthError` is true for an error made by any copy of this class (ESM or CJS build,
   * another install, another realm); for a subclass it keeps its usual meaning.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof, maybe a subclass
    if (this !== M3terAuthError) return Function.prototype[Symbol.hasInstance].call(this, value)
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true
  }
}

/**
 * True for an {@link M3terAuthError}, also one made by another copy of this package or in another realm
 * (matched by name and code), so that adapters and apps with duplicated installs agree. Narrows `unknown`,
 * so `code` can be read at once.
 *
 * @example
 * ```ts
 * try {
 *   await syncUsage()
 * } catch (error) {
 *   if (isM3terAuthError(error) && error.code === 'timeout') return scheduleSync(60_000) // m3ter is slow: later
 *   throw error
 * }
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
 * Finds an {@link M3terAuthError} in an error or its `cause` chain. HTTP clients wrap what their hooks
 * throw (got's `RequestError`, for one), so the error a request rejects with may hold ours inside it.
 *
 * @param value - whatever a request rejected with
 * @returns the first M3terAuthError in the chain (looked at up to 8 deep), or undefined
 *
 * @example
 * ```ts
 * try {
 *   await client.get(`organizations/${orgId}/meters`)
 * } catch (error) {
 *   const authError = findM3terAuthError(error)
 *   if (authError?.code === 'invalid_credentials') alert('m3ter rejected our access key')
 *   throw error
 * }
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
