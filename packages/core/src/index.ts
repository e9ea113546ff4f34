/**
 * `@m3ter-auth/core`: one correct, shared, refreshing Bearer token for an m3ter Service User.
 *
 * Create one provider per Service User with {@link createTokenProvider} and hand it to an adapter for your
 * HTTP client (`@m3ter-auth/fetch`, `axios`, `got`, `ky`, `undici`), or call
 * {@link TokenProvider.getToken} yourself. Every failure is an {@link M3terAuthError}.
 *
 * This entry point is the stable API. The building blocks underneath (the state machine, the token
 * endpoint, the request policy the adapters share) are in `@m3ter-auth/core/internals`, which carries no
 * semver promise.
 *
 * @example
 * ```ts
 * import { createTokenProvider, isM3terAuthError } from '@m3ter-auth/core'
 * import { withM3terAuth } from '@m3ter-auth/fetch'
 *
 * const auth = createTokenProvider() // M3TER_API_KEY and M3TER_API_SECRET from the environment
 * const m3terFetch = withM3terAuth(auth)
 * try {
 *   const res = await m3terFetch(`https://api.m3ter.com/organizations/${orgId}/meters`)
 *   console.log(await res.json())
 * } catch (error) {
 *   if (isM3terAuthError(error) && error.code === 'invalid_credentials') console.error('check the m3ter access key')
 *   else throw error
 * }
 * ```
 *
 * @packageDocumentation
 */

export type { Clock } from './clock.ts'
export type { Credentials, CredentialsSource } from './credentials.ts'
export {
  ErrorCode,
  findM3terAuthError,
  isM3terAuthError,
  M3terAuthError,
  type M3terAuthErrorCode,
} from './errors.ts'
export type { M3terAuthEvent, RefreshReason } from './events.ts'
export type { Logger } from './logger.ts'
export { createMemoryStore } from './memory-store.ts'
export type { TokenProviderOptions } from './options.ts'
export type { RefreshOptions, RetryOptions } from './policy-options.ts'
export { createTokenProvider } from './provider.ts'
export { systemClock } from './system-clock.ts'
export {
  createTokenPool,
  type TokenPool,
  type TokenPoolEvent,
  type TokenPoolMemberSnapshot,
  type TokenPoolOptions,
  type TokenPoolSnapshot,
} from './token-pool.ts'
export type { GetTokenOptions, TokenProvider, TokenSnapshot, TokenStatus } from './token-provider.ts'
export type { StoredToken, TokenLease, TokenStore } from './token-store.ts'
