/**
 * The names this package records under. OpenTelemetry's semantic conventions are used where one exists
 * (`error.type`, `http.response.status_code`, durations in seconds); everything specific to m3ter-auth
 * lives under `m3ter_auth.`. Exported so dashboards and tests can refer to them without retyping.
 *
 * @example
 * ```ts
 * import { METRICS } from '@m3ter-auth/otel'
 * const rate = `rate(${METRICS.tokenRequests.replaceAll('.', '_')}_total[5m])`
 * ```
 */
export const METRICS = {
  /** Counter: token requests, by `m3ter_auth.token.outcome`. */
  tokenRequests: 'm3ter_auth.token.requests',
  /** Histogram (s): how long a token request took, from start to answer (store look-up included). */
  tokenRequestDuration: 'm3ter_auth.token.request.duration',
  /** Counter: refreshes started, by `m3ter_auth.refresh.reason` (retries of one refresh are not counted). */
  refreshes: 'm3ter_auth.token.refreshes',
  /** Counter: tokens the API rejected (`invalidate`), by whether that led to a refresh. */
  rejections: 'm3ter_auth.token.rejections',
  /** Histogram (s): how long a `getToken` caller that had to wait waited. */
  waitDuration: 'm3ter_auth.token.wait.duration',
  /** Observable counter: `getToken` calls, by whether they waited (the hot path is `waited=false`). */
  demands: 'm3ter_auth.token.demands',
  /** Observable gauge (s): time until the current token expires. */
  timeToExpiry: 'm3ter_auth.token.time_to_expiry',
  /** Observable gauge: 1 for the provider's current status, 0 for the others. */
  status: 'm3ter_auth.provider.status',
} as const

/**
 * Attribute keys on the metrics and spans.
 *
 * @example
 * ```ts
 * import { ATTRIBUTES, TOKEN_REQUEST_SPAN } from '@m3ter-auth/otel'
 *
 * const failed = exporter
 *   .getFinishedSpans()
 *   .filter((span) => span.name === TOKEN_REQUEST_SPAN && span.attributes[ATTRIBUTES.outcome] !== 'ok')
 * ```
 */
export const ATTRIBUTES = {
  /** The `name` option, on every point and span, to tell providers (Service Users) apart. */
  providerName: 'm3ter_auth.provider.name',
  /** The `orgId` option (opt-in: one time series per organisation), to tell a pool's members apart. */
  orgId: 'm3ter_auth.organization.id',
  /** ok | invalid_credentials | unavailable | timeout | invalid_response | missing_credentials | aborted | abandoned */
  outcome: 'm3ter_auth.token.outcome',
  /** endpoint | store: where a token came from. */
  source: 'm3ter_auth.token.source',
  /** cold | ahead | expired | invalidated | rotated (on spans also retry). */
  reason: 'm3ter_auth.refresh.reason',
  /** 1, 2, ...: the attempt within one refresh. */
  attempt: 'm3ter_auth.token.attempt',
  /** 0 (primary) or 1 (secondary): which key of a rotation pair asked. Never the key id itself. */
  keySlot: 'm3ter_auth.key.slot',
  /** Seconds until the next attempt when a failed attempt will be retried. */
  retryDelay: 'm3ter_auth.retry.delay',
  /** Whether a rejection dropped the current token (and so led to a refresh). */
  refreshed: 'm3ter_auth.rejection.refreshed',
  /** Whether a `getToken` call waited. */
  waited: 'm3ter_auth.token.waited',
  /** empty | fetching | fresh | refreshing | backoff | failed | closed */
  status: 'm3ter_auth.provider.status',
  /** Semantic convention: the error's low-cardinality type, here the M3terAuthError code. */
  errorType: 'error.type',
  /** Semantic convention: the token endpoint's HTTP status, when it answered with an error. */
  httpStatus: 'http.response.status_code',
} as const

/**
 * The span started for each token request.
 *
 * @example
 * ```ts
 * const tokenRequests = exporter.getFinishedSpans().filter((span) => span.name === TOKEN_REQUEST_SPAN)
 * expect(tokenRequests).toHaveLength(1)
 * ```
 */
export const TOKEN_REQUEST_SPAN = 'm3ter_auth.token_request'
