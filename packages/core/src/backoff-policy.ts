import type { RetryOptions } from './policy-options.ts'
import { timerDelay } from './timer-limit.ts'

/**
 * The retry options with every field filled in: what {@link backoffDelay} and the state machine read.
 *
 * @example
 * ```ts
 * const step = createStep({ ...DEFAULT_RETRY, maxAttempts: 2 }, 20_000) // a machine whose rounds give up sooner
 * ```
 */
export type RetryPolicy = Required<RetryOptions>

/**
 * The defaults: up to 4 attempts within a minute, backing off from 200 ms to at most 30 s; a rejected key
 * is not asked again for a minute; a server's Retry-After is honoured up to an hour.
 *
 * @example
 * ```ts
 * // Give up a round sooner, keeping the rest:
 * createTokenProvider({ retry: { maxAttempts: 2, maxElapsedMs: DEFAULT_RETRY.maxElapsedMs / 2 } })
 * ```
 */
export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 30_000,
  maxElapsedMs: 60_000,
  invalidCredentialsCooldownMs: 60_000,
  maxRetryAfterMs: 3_600_000,
}

/**
 * Delay before retry number `attempt` (1 after the first failure): full jitter over an exponential
 * ceiling capped by `maxDelayMs`, so that many clients that failed together spread out. A server's
 * Retry-After is a floor, honoured as sent up to `maxRetryAfterMs` (the server knows when it will be back;
 * coming sooner only adds to its load). The state machine also draws the cooldown after a give-up from it:
 * attempts counted on past the round, and a draw in [0.5, 1) so at least half of the ceiling is kept.
 *
 * @example
 * ```ts
 * backoffDelay(3, 0.5, undefined, DEFAULT_RETRY) // 400: half of 200 * 2^2
 * backoffDelay(1, 0.5, 5_000, DEFAULT_RETRY) // 5_000: Retry-After wins
 * backoffDelay(1, 0.5, 3_600_000, DEFAULT_RETRY) // 3_600_000: honoured, beyond maxDelayMs
 * ```
 */
export function backoffDelay(
  attempt: number,
  random: number,
  retryAfterMs: number | undefined,
  policy: RetryPolicy,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1))
  const jittered = Math.floor(random * ceiling)
  return timerDelay(Math.max(jittered, honouredRetryAfter(retryAfterMs, policy)))
}

/**
 * The part of a server's Retry-After the provider honours: all of it, up to `maxRetryAfterMs`; 0 without one.
 *
 * @example
 * ```ts
 * honouredRetryAfter(7_200_000, DEFAULT_RETRY) // 3_600_000: an hour at most by default
 * ```
 */
export function honouredRetryAfter(retryAfterMs: number | undefined, policy: RetryPolicy): number {
  return Math.min(retryAfterMs ?? 0, policy.maxRetryAfterMs)
}

/**
 * Reads Retry-After as delay-seconds or an HTTP-date, relative to `now`; undefined when absent or unreadable.
 *
 * @example
 * ```ts
 * parseRetryAfter('2', 0) // 2000
 * parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', Date.parse('Wed, 21 Oct 2026 07:27:00 GMT')) // 60000
 * ```
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}
