/**
 * Counters the mock keeps; `reset()` zeroes them.
 *
 * @example
 * ```ts
 * expect(m3ter.stats).toMatchObject({ tokenRequests: 1, bearerRejections: 0, apiRequestsByStatus: { 200: 3 } })
 * ```
 */
export interface MockStats {
  /** Every request that reached the token endpoint, whatever became of it. */
  tokenRequests: number
  /** Token requests by the access key id they presented (`'(none)'` without usable Basic auth). */
  tokenRequestsByKey: Record<string, number>
  /** Tokens issued (good ones, plus the fake ones of token faults). */
  tokensIssued: number
  /** Token requests answered with anything but a valid token (4xx, 5xx, faults, drops). */
  tokenFailures: number
  /** Token requests that came after a failed one (the client retrying). */
  tokenRetries: number
  /** Requests to the api and ingest origins together: everything that needs a bearer. */
  apiRequests: number
  /** Answers of the api and ingest origins by HTTP status (0 for a dropped or hung request). */
  apiRequestsByStatus: Record<number, number>
  /** Api/ingest requests that repeat (same method, URL and body) one that failed before: client retries. */
  apiRetries: number
  /** Requests to the ingest origin. */
  ingestRequests: number
  /** Bearers refused (missing, malformed, bad signature, expired, revoked, another org's): "token rejected". */
  bearerRejections: number
  /** 403s with a good token for a route the key may not use (the `deny` option): not about the token. */
  forbiddenRoutes: number
  /** 403s with a good token for an organization the mock does not know: not about the token. */
  unknownOrganizations: number
  /** Requests refused with 429 by the `rateLimit` option. */
  rateLimited: number
  /** Ingest bodies of 512,000 bytes or more, refused with 403 before the token is looked at. */
  oversizeBodies: number
  /** Accepted ingest batches and the measurements in them. */
  ingestBatches: number
  ingestMeasurements: number
  /** Requests answered by an injected fault. */
  faultsApplied: number
}

/**
 * Every counter at zero.
 *
 * @example
 * ```ts
 * state.stats = emptyStats() // the mock's reset()
 * ```
 */
export function emptyStats(): MockStats {
  return {
    tokenRequests: 0,
    tokenRequestsByKey: {},
    tokensIssued: 0,
    tokenFailures: 0,
    tokenRetries: 0,
    apiRequests: 0,
    apiRequestsByStatus: {},
    apiRetries: 0,
    ingestRequests: 0,
    bearerRejections: 0,
    forbiddenRoutes: 0,
    unknownOrganizations: 0,
    oversizeBodies: 0,
    rateLimited: 0,
    ingestBatches: 0,
    ingestMeasurements: 0,
    faultsApplied: 0,
  }
}
