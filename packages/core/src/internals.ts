/**
 * `@m3ter-auth/core/internals`: the parts of core that the adapters, the testkit and core's own tests build
 * on, for tests and advanced users. UNSTABLE: no semver promise covers this entry point; any name here may
 * change or go in any release, patch releases included. An application wants `@m3ter-auth/core`.
 *
 * What is here:
 * - the request policy every adapter delegates to (`shouldAuthorize`, `judgeAnswer`, `canSendTwice`, ...),
 *   for someone writing an adapter for another HTTP client;
 * - the pure state machine (`createStep`, `initialState`, `statusOf`) and the time policies it uses;
 * - the token endpoint's pure builder and processor and the one function that sends between them;
 * - the sealed-token cipher (AES-256-GCM) that the Redis store and the Cloudflare broker keep tokens in;
 * - the defaults, limits and validators the provider applies to its options.
 *
 * Both entry points share one copy of core's code (the builds put it in a common chunk), so an error made
 * through one is an `M3terAuthError` to the other, and a provider made by `createTokenProvider` is known to
 * the request policy imported from here.
 *
 * @example
 * ```ts
 * import { createTokenProvider } from '@m3ter-auth/core'
 * import { bearerHeader, judgeAnswer, shouldAuthorize } from '@m3ter-auth/core/internals'
 *
 * // The heart of an adapter for an HTTP client m3ter-auth has none for.
 * const auth = createTokenProvider()
 * async function send(url: string, init: RequestInit = {}): Promise<Response> {
 *   if (!shouldAuthorize(auth, url)) return fetch(url, init)
 *   const token = await auth.getToken()
 *   const res = await fetch(url, { ...init, headers: { authorization: bearerHeader(token) } })
 *   const verdict = judgeAnswer(auth, { method: init.method ?? 'GET', url, status: res.status, token, answeredFrom: 'asked' })
 *   if (verdict !== 'retry') return res
 *   const again = await auth.getToken()
 *   return fetch(url, { ...init, headers: { authorization: bearerHeader(again) } })
 * }
 * ```
 *
 * @packageDocumentation
 */
export { describeArgument, requireTokenProvider } from './adapter-arguments.ts'
export { backoffDelay, DEFAULT_RETRY, honouredRetryAfter, parseRetryAfter } from './backoff-policy.ts'
export { utf8ToBase64 } from './base64.ts'
export { ENV_ACCESS_KEY_ID, ENV_API_SECRET, validateCredentials } from './credentials.ts'
export {
  deriveIngestOrigin,
  ENV_BASE_URL,
  ENV_INGEST_URL,
  environmentDefaults,
  readEnvironment,
} from './environment.ts'
export { ENV_DEBUG, eventLogger } from './logger.ts'
export {
  createStep,
  type Effect,
  initialState,
  type MachineEvent,
  type MachineState,
  type Phase,
  type Reply,
  type Round,
  type Step,
  statusOf,
  type Transition,
} from './machine.ts'
export { DEFAULT_MAX_WAIT_MS, DEFAULT_TIMEOUT_MS, DEFAULT_TOKEN_URL } from './options.ts'
export { POOL_ROUTE, providerFor, type Routed } from './provider-for.ts'
export {
  BODY_GONE,
  type FollowedAnswer,
  type FollowOptions,
  followRedirects,
  followsRedirectsHere,
  initWith,
  isRedirect,
  sendFollowingRedirects,
} from './redirect-hops.ts'
export { DEFAULT_REFRESH, tokenTimes } from './refresh-policy.ts'
export { isTokenRejected } from './rejection-policy.ts'
export {
  type AnsweredFrom,
  answeredFrom,
  bearerHeader,
  canSendTwice,
  heldToken,
  judgeAnswer,
  MAX_BODY_BYTES,
  type RequestAnswer,
  registerRequestPolicy,
  shouldAuthorize,
  tokenOfHeader,
  type Verdict,
} from './request-policy.ts'
export { createScopePolicy, DEFAULT_SCOPE } from './scope-policy.ts'
export { createTokenCipher, type EncryptionKeyInput, type TokenCipher } from './sealed-token.ts'
export { knownStoreKey, STORE_KEY_ITERATIONS, storeKeyOf } from './store-key.ts'
export { checkedStoredToken, STORE_SKEW_MS } from './store-value.ts'
export { boundedClock, MAX_TIMER_MS, timerDelay } from './timer-limit.ts'
export type { TokenAnswer } from './token-answer.ts'
export { requestToken, type TokenExchange } from './token-endpoint.ts'
export { type TokenAttempt, type TokenFailure, tokenFailure, transportFailure } from './token-failure.ts'
export { buildTokenRequest, describeTokenRequest, type TokenRequest } from './token-request.ts'
export {
  isBearerToken,
  MAX_EXPIRES_IN_SECONDS,
  MAX_TOKEN_RESPONSE_BYTES,
  MIN_EXPIRES_IN_SECONDS,
  parseTokenResponse,
  processTokenResponse,
  type TokenResponse,
} from './token-response.ts'
export { isLoopbackHost, isSecureUrl } from './urls.ts'
