import type { M3terAuthErrorCode } from '@m3ter-auth/core'
import type { AnyFault } from '@m3ter-auth/testkit'

/**
 * One row of the fault matrix: a token endpoint fault, how long it lasts, and what the provider must make
 * of it. `times: Infinity` lasts until the test clears it.
 */
export interface FaultCase {
  readonly name: string
  /** Built at injection time: an HTTP-date Retry-After is relative to the clock then. */
  readonly fault: (now: number, foreignUrl: string) => AnyFault
  readonly times: number
  /** The code of every failed attempt (events), and of the caller's error when a cold start gives up. */
  readonly code: M3terAuthErrorCode
  /** Cold start: the caller gets a token after the fault, or a typed error. */
  readonly cold: 'recovered' | 'error'
  /** Token requests from injection to the cold outcome; 'max' is retry.maxAttempts. */
  readonly attempts: number | 'max'
  /** Smallest gap the first retry must wait (Retry-After honoured). */
  readonly minGapMs?: number
  /** The bad token is accepted, then refused by the API, then replaced: the adapter's 403 path. */
  readonly rejectedByApi?: boolean
}

const forever = Number.POSITIVE_INFINITY
// Attempts per round in the matrix; small so that exhausting a round stays cheap.
export const MAX_ATTEMPTS = 4

const status =
  (code: number, retryAfter?: string): FaultCase['fault'] =>
  () =>
    retryAfter === undefined ? { kind: 'status', status: code } : { kind: 'status', status: code, retryAfter }

export const FAULT_CASES: readonly FaultCase[] = [
  {
    name: '429 Retry-After: 2 (seconds), twice',
    fault: status(429, '2'),
    times: 2,
    code: 'token_endpoint_unavailable',
    cold: 'recovered',
    attempts: 3,
    minGapMs: 2000,
  },
  {
    name: '429 Retry-After as an HTTP-date 3 s ahead, once',
    fault: (now) => ({ kind: 'status', status: 429, retryAfter: new Date(now + 3000).toUTCString() }),
    times: 1,
    code: 'token_endpoint_unavailable',
    cold: 'recovered',
    attempts: 2,
    // HTTP-dates have whole seconds: 3 s ahead of a clock with milliseconds is at least 2 s.
    minGapMs: 2000,
  },
  {
    name: '429 without Retry-After, for good',
    fault: status(429),
    times: forever,
    code: 'token_endpoint_unavailable',
    cold: 'error',
    attempts: 'max',
  },
  {
    name: '500, for good',
    fault: status(500),
    times: forever,
    code: 'token_endpoint_unavailable',
    cold: 'error',
    attempts: 'max',
  },
  {
    name: '502, for good',
    fault: status(502),
    times: forever,
    code: 'token_endpoint_unavailable',
    cold: 'error',
    attempts: 'max',
  },
  {
    name: '503, once',
    fault: status(503),
    times: 1,
    code: 'token_endpoint_unavailable',
    cold: 'recovered',
    attempts: 2,
  },
  {
    name: '504, until the last attempt',
    fault: status(504),
    times: MAX_ATTEMPTS - 1,
    code: 'token_endpoint_unavailable',
    cold: 'recovered',
    attempts: MAX_ATTEMPTS,
  },
  {
    name: '400 (credentials)',
    fault: status(400),
    times: forever,
    code: 'invalid_credentials',
    cold: 'error',
    attempts: 1,
  },
  {
    name: '401 (credentials)',
    fault: status(401),
    times: forever,
    code: 'invalid_credentials',
    cold: 'error',
    attempts: 1,
  },
  {
    name: '403 (credentials)',
    fault: status(403),
    times: forever,
    code: 'invalid_credentials',
    cold: 'error',
    attempts: 1,
  },
  {
    name: 'hang past the timeout, for good',
    fault: () => ({ kind: 'hang' }),
    times: forever,
    code: 'timeout',
    cold: 'error',
    attempts: 'max',
  },
  {
    name: 'hang past the timeout, once',
    fault: () => ({ kind: 'hang' }),
    times: 1,
    code: 'timeout',
    cold: 'recovered',
    attempts: 2,
  },
  {
    name: 'drop (connection reset), for good',
    fault: () => ({ kind: 'drop' }),
    times: forever,
    code: 'token_endpoint_unavailable',
    cold: 'error',
    attempts: 'max',
  },
  {
    name: 'slow (40 ms real), once',
    fault: () => ({ kind: 'slow', delayMs: 40 }),
    times: 1,
    code: 'token_endpoint_unavailable',
    cold: 'recovered',
    attempts: 1,
  },
  {
    name: 'HTML page with 200',
    fault: () => ({ kind: 'html' }),
    times: forever,
    code: 'invalid_token_response',
    cold: 'error',
    attempts: 1,
  },
  {
    name: 'HTML page with 502, for good',
    fault: () => ({ kind: 'html', status: 502 }),
    times: forever,
    code: 'token_endpoint_unavailable',
    cold: 'error',
    attempts: 'max',
  },
  {
    name: 'non-JSON body',
    fault: () => ({ kind: 'non-json' }),
    times: forever,
    code: 'invalid_token_response',
    cold: 'error',
    attempts: 1,
  },
  {
    name: 'oversize body (> 64 KiB)',
    fault: () => ({ kind: 'oversize' }),
    times: forever,
    code: 'invalid_token_response',
    cold: 'error',
    attempts: 1,
  },
  {
    name: '302 redirect to a foreign host',
    fault: (_now, foreign) => ({ kind: 'redirect', location: `${foreign}/oauth/token`, status: 302 }),
    times: forever,
    code: 'invalid_token_response',
    cold: 'error',
    attempts: 1,
  },
  {
    name: '307 redirect to a foreign host',
    fault: (_now, foreign) => ({ kind: 'redirect', location: `${foreign}/oauth/token`, status: 307 }),
    times: forever,
    code: 'invalid_token_response',
    cold: 'error',
    attempts: 1,
  },
  {
    name: 'missing access_token',
    fault: () => ({ kind: 'missing-access-token' }),
    times: forever,
    code: 'invalid_token_response',
    cold: 'error',
    attempts: 1,
  },
  {
    name: "token_type 'mac'",
    fault: () => ({ kind: 'token-type', tokenType: 'mac' }),
    times: forever,
    code: 'invalid_token_response',
    cold: 'error',
    attempts: 1,
  },
  {
    name: 'expires_in 0',
    fault: () => ({ kind: 'expires-in', expiresIn: 0 }),
    times: forever,
    code: 'invalid_token_response',
    cold: 'error',
    attempts: 1,
  },
  {
    name: 'expires_in -1',
    fault: () => ({ kind: 'expires-in', expiresIn: -1 }),
    times: forever,
    code: 'invalid_token_response',
    cold: 'error',
    attempts: 1,
  },
  {
    name: 'expires_in absurd (1e12 s)',
    fault: () => ({ kind: 'expires-in', expiresIn: 1e12 }),
    times: forever,
    code: 'invalid_token_response',
    cold: 'error',
    attempts: 1,
  },
  {
    name: 'expires_in missing',
    fault: () => ({ kind: 'expires-in', expiresIn: 'missing' }),
    times: forever,
    code: 'invalid_token_response',
    cold: 'error',
    attempts: 1,
  },
  {
    name: "expires_in a string ('18000')",
    fault: () => ({ kind: 'expires-in', expiresIn: '18000' }),
    times: forever,
    code: 'invalid_token_response',
    cold: 'error',
    attempts: 1,
  },
  {
    name: 'a token the API refuses, once',
    fault: () => ({ kind: 'rejected-token' }),
    times: 1,
    code: 'invalid_token_response',
    cold: 'recovered',
    attempts: 2,
    rejectedByApi: true,
  },
]
