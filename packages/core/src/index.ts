export { backoffDelay, DEFAULT_RETRY, parseRetryAfter } from './backoff-policy.ts'
export { utf8ToBase64 } from './base64.ts'
export { ENV_ACCESS_KEY_ID, ENV_API_SECRET, validateCredentials } from './credentials.ts'
export {
  ErrorCode,
  findM3terAuthError,
  isM3terAuthError,
  M3terAuthError,
  type M3terAuthErrorCode,
} from './errors.ts'
export { ENV_DEBUG, eventLogger } from './logger.ts'
export {
  createStep,
  type Effect,
  initialState,
  type MachineEvent,
  type MachineState,
  type Reply,
  statusOf,
} from './machine.ts'
export { createMemoryStore } from './memory-store.ts'
export { DEFAULT_TIMEOUT_MS, DEFAULT_TOKEN_URL } from './options.ts'
export { createTokenProvider } from './provider.ts'
export { DEFAULT_REFRESH, tokenTimes } from './refresh-policy.ts'
export { isTokenRejected } from './rejection-policy.ts'
export {
  type AnsweredFrom,
  answeredFrom,
  bearerHeader,
  canSendTwice,
  judgeAnswer,
  MAX_BODY_BYTES,
  type RequestAnswer,
  registerRequestPolicy,
  shouldAuthorize,
  tokenOfHeader,
  type Verdict,
} from './request-policy.ts'
export { createScopePolicy, DEFAULT_SCOPE } from './scope-policy.ts'
export { systemClock } from './system-clock.ts'
export { requestToken, type TokenAttempt, type TokenFailure } from './token-endpoint.ts'
export { buildTokenRequest, type TokenRequest } from './token-request.ts'
export {
  MAX_EXPIRES_IN_SECONDS,
  MAX_TOKEN_RESPONSE_BYTES,
  MIN_EXPIRES_IN_SECONDS,
  parseTokenResponse,
  type TokenAnswer,
} from './token-response.ts'
export type * from './types.ts'
export { isLoopbackHost, isSecureUrl } from './urls.ts'
