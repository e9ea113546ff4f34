// The refresh and retry options, as users write them: vocabulary shared by options.ts (which checks them) and
// the refresh and backoff policies (which use them), kept below both so that neither imports the other.

/**
 * When to refresh: a fraction of the token's lifetime before it expires, clamped to a window, plus a
 * random share so that the members of a fleet do not all refresh at once; and the skew taken off the
 * expiry. With m3ter's five-hour tokens the defaults start refreshing 10 to 12.5 minutes before the
 * (skewed) expiry: a tenth of the lifetime is 30 minutes, clamped to 10, widened at random by up to 25%.
 *
 * @example
 * ```ts
 * // Refresh earlier: a fifth of the lifetime, at least a minute ahead.
 * createTokenProvider({ refresh: { fraction: 0.2, minWindowMs: 60_000 } })
 * ```
 */
export interface RefreshOptions {
  /** Fraction of the lifetime before expiry when refreshing starts. Default 0.1. */
  readonly fraction?: number
  /** Lower clamp of the refresh window in ms. Default 30 000. */
  readonly minWindowMs?: number
  /** Upper clamp of the refresh window in ms. Default 600 000. */
  readonly maxWindowMs?: number
  /** Up to this fraction of the window is added at random so a fleet does not refresh in lockstep. Default 0.25. */
  readonly jitter?: number
  /** Taken off the expiry to absorb clock skew and request time. Default 10 000. */
  readonly skewMs?: number
}

/**
 * How the token endpoint is retried after 429, 5xx, network errors and timeouts: full-jitter exponential
 * backoff that honours `Retry-After`, bounded in attempts and in time. A rejected key (400/401/403) is not
 * retried; it fails fast for `invalidCredentialsCooldownMs`.
 *
 * @example
 * ```ts
 * // A batch job that would rather wait longer for a token than fail.
 * createTokenProvider({ retry: { maxAttempts: 8, maxElapsedMs: 5 * 60_000 } })
 * ```
 */
export interface RetryOptions {
  /**
   * Attempts in one round of fetching, the first included. Default 4. After a round gives up, callers fail
   * fast until a cooldown passes, and each later round is one attempt until a token arrives.
   */
  readonly maxAttempts?: number
  /** First backoff ceiling in ms; doubles each attempt (full jitter). Default 200. */
  readonly baseDelayMs?: number
  /**
   * Largest backoff in ms, the cooldown after a give-up included. A server's Retry-After may be longer (see
   * `maxRetryAfterMs`). Default 30 000.
   */
  readonly maxDelayMs?: number
  /** A round of attempts stops once this much time has passed. Default 60 000. */
  readonly maxElapsedMs?: number
  /** How long rejected credentials fail fast before the endpoint is asked again. Default 60 000. */
  readonly invalidCredentialsCooldownMs?: number
  /**
   * The longest `Retry-After` honoured, in ms: the token endpoint is not asked again before the time it
   * named, up to this. Meanwhile a valid token is still served, and callers without one fail fast with the
   * error, which carries `retryAfterMs`. Default 3 600 000 (an hour).
   */
  readonly maxRetryAfterMs?: number
}
