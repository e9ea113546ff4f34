import { isBearerToken, MAX_EXPIRES_IN_SECONDS } from './token-response.ts'
import type { StoredToken } from './token-store.ts'

/**
 * How far a stored token's times may lie ahead of the reader's clock (its `obtainedAt` in the future, or
 * its lifetime over the longest accepted by a hair): rounding in a store that keeps durations, and the
 * last of a clock step. Kept under the refresh policy's 10 s safety skew, so a value from a store that
 * (wrongly) keeps a writer's absolute times is never served past its real expiry because of it.
 *
 * @example
 * ```ts
 * const tooNew = token.obtainedAt > clock.now() + STORE_SKEW_MS // refused
 * ```
 */
export const STORE_SKEW_MS = 5_000

/**
 * A value read from a {@link TokenStore}, checked as strictly as an answer of the token endpoint, or
 * undefined ("no usable token here"). A store is shared, may be written by another tenant's code or an
 * older version, and its times are only as good as the clocks behind them, so a value is refused unless:
 * - `accessToken` is a bearer token that can go in a header ({@link isBearerToken});
 * - `obtainedAt`, `refreshAt` and `expiresAt` are finite numbers in that order;
 * - `obtainedAt` is not ahead of `now` by more than {@link STORE_SKEW_MS} (a writer's clock ahead of ours
 *   would otherwise make a token look younger than it is);
 * - its lifetime (`expiresAt - obtainedAt`) is at most the longest the endpoint may give
 *   (`MAX_EXPIRES_IN_SECONDS`) plus that skew: `expiresAt: 1e308` is refused.
 *
 * @param now - the reader's clock (`clock.now()`), the base the store's times are in (see TokenStore)
 * @returns a fresh object with the four fields only, or undefined
 * @example
 * ```ts
 * const token = checkedStoredToken(await store.get(key), clock.now())
 * if (token && clock.now() < token.refreshAt) use(token.accessToken)
 * ```
 */
export function checkedStoredToken(value: unknown, now: number): StoredToken | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { accessToken, obtainedAt, refreshAt, expiresAt } = value as Record<keyof StoredToken, unknown>
  if (!isBearerToken(accessToken)) return undefined
  const times = [obtainedAt, refreshAt, expiresAt]
  if (!times.every(Number.isFinite)) return undefined
  const [obtained, refresh, expires] = times as [number, number, number]
  const longest = MAX_EXPIRES_IN_SECONDS * 1000 + STORE_SKEW_MS
  const ordered = obtained <= refresh && refresh <= expires
  if (!ordered || obtained > now + STORE_SKEW_MS || expires - obtained > longest) return undefined
  return { accessToken, obtainedAt: obtained, refreshAt: refresh, expiresAt: expires }
}
