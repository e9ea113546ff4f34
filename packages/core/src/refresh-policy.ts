import type { RefreshOptions } from './policy-options.ts'

/**
 * The refresh options with every field filled in: what {@link tokenTimes} and the state machine read.
 *
 * @example
 * ```ts
 * const policy: RefreshPolicy = { ...DEFAULT_REFRESH, jitter: 0 } // a test that wants exact refresh times
 * ```
 */
export type RefreshPolicy = Required<RefreshOptions>

/**
 * The defaults: refresh in the last tenth of a token's lifetime (30 s to 10 min, widened by up to a
 * quarter at random), and never serve a token in its last 10 s.
 *
 * @example
 * ```ts
 * // Refresh earlier than the default, keeping the rest:
 * createTokenProvider({ refresh: { fraction: DEFAULT_REFRESH.fraction * 2 } })
 * ```
 */
export const DEFAULT_REFRESH: RefreshPolicy = {
  fraction: 0.1,
  minWindowMs: 30_000,
  maxWindowMs: 600_000,
  jitter: 0.25,
  skewMs: 10_000,
}

/**
 * When a token stops being served (`expiresAt`) and when a demand starts refreshing it (`refreshAt`).
 * The lifetime counts from when the request started, since the server's clock started before the answer
 * reached us. The refresh window is a fraction of the lifetime clamped to [min, max], widened at random by
 * up to `jitter` of itself so that a fleet started together does not refresh together. For very short
 * lifetimes the skew and window shrink so that a token is always served for a while.
 *
 * @example
 * ```ts
 * tokenTimes(0, 18_000, 0, DEFAULT_REFRESH) // { expiresAt: 17_990_000, refreshAt: 17_390_000 }
 * ```
 */
export function tokenTimes(
  obtainedAt: number,
  expiresInSeconds: number,
  random: number,
  policy: RefreshPolicy,
): { expiresAt: number; refreshAt: number } {
  const lifetime = expiresInSeconds * 1000
  const skew = Math.min(policy.skewMs, lifetime * 0.25)
  const usable = lifetime - skew
  const window = clamp(lifetime * policy.fraction, policy.minWindowMs, policy.maxWindowMs)
  const jittered = Math.min(window * (1 + policy.jitter * random), usable / 2)
  return { expiresAt: obtainedAt + usable, refreshAt: obtainedAt + usable - jittered }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max)
}
