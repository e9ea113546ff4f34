import { parseRetryAfter } from './backoff-policy.ts'
import { M3terAuthError } from './errors.ts'
import type { TokenAnswer } from './token-answer.ts'
import { type TokenAttempt, tokenFailure } from './token-failure.ts'
import { describeTokenRequest } from './token-request.ts'

/**
 * A short fingerprint of an access key id for messages: `#` and 8 hex digits of its FNV-1a hash. It tells
 * two keys apart without printing either, which matters when the id and the secret were swapped. To see
 * your key's: `node -e "let h=0x811c9dc5;for(const b of Buffer.from(process.env.M3TER_API_KEY))h=Math.imul(h^b,0x01000193)>>>0;console.log('#'+h.toString(16).padStart(8,'0'))"`.
 *
 * @example
 * ```ts
 * keyFingerprint('00000000-0000-4000-8000-000000000000') // '#' and 8 hex digits, the same on every run
 * ```
 */
export function keyFingerprint(accessKeyId: string): string {
  let hash = 0x811c9dc5
  for (const byte of new TextEncoder().encode(accessKeyId)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0
  return `#${hash.toString(16).padStart(8, '0')}`
}

/**
 * Token answers larger than this are refused unread: m3ter's are a few hundred bytes.
 *
 * @example
 * ```ts
 * if (body.length > MAX_TOKEN_RESPONSE_BYTES) refuse()
 * ```
 */
export const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024

/**
 * A week: m3ter's tokens live 5 hours; anything far beyond that is a broken or hostile server.
 *
 * @example
 * ```ts
 * if (expiresIn > MAX_EXPIRES_IN_SECONDS) refuse()
 * ```
 */
export const MAX_EXPIRES_IN_SECONDS = 7 * 24 * 3600

/**
 * The shortest token lifetime accepted. Less would leave no time to use a token once the safety skew is
 * taken off and the answer has travelled, and would make every demand a token request.
 *
 * @example
 * ```ts
 * if (expiresIn < MIN_EXPIRES_IN_SECONDS) refuse()
 * ```
 */
export const MIN_EXPIRES_IN_SECONDS = 60

// RFC 6750 b64token characters: anything else could not be sent safely in a header.
const TOKEN_CHARACTERS = /^[A-Za-z0-9\-._~+/]+=*$/

/**
 * Whether `value` can be sent as a bearer token: a non-empty string of RFC 6750 b64token characters (no
 * space, CR or LF, nothing outside visible ASCII) within {@link MAX_TOKEN_RESPONSE_BYTES}. Applied to the
 * endpoint's answers and to tokens read from a store alike.
 *
 * @example
 * ```ts
 * isBearerToken('eyJhbGciOi.eyJzdWIi.c2ln') // true
 * isBearerToken('abc\r\nX-Evil: 1') // false
 * ```
 */
export function isBearerToken(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TOKEN_RESPONSE_BYTES && TOKEN_CHARACTERS.test(value)
}

/**
 * Validates a successful token answer strictly: JSON object, `access_token` a header-safe string,
 * `token_type` Bearer (any case), `expires_in` a number of seconds from a minute to a week.
 * Errors say what was wrong and never echo the body (it may hold a token).
 *
 * @example
 * ```ts
 * parseTokenResponse('{"token_type":"Bearer","access_token":"eyJ...","expires_in":18000}', 'POST https://api.m3ter.com/oauth/token')
 * ```
 */
export function parseTokenResponse(bodyText: string, where: string): TokenAnswer {
  const fail = (what: string): never => {
    throw new M3terAuthError('invalid_token_response', `${where}: ${what}`, { status: 200 })
  }
  let body: unknown
  try {
    body = JSON.parse(bodyText)
  } catch {
    const looksHtml = /^\s*</.test(bodyText)
    return fail(
      looksHtml ? 'answered an HTML page, not a JSON token answer' : 'answered a body that is not JSON',
    )
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return fail('answered JSON that is not an object')
  const answer = body as Record<string, unknown>
  const accessToken = answer.access_token
  if (typeof accessToken !== 'string' || accessToken.length === 0)
    return fail('answer has no access_token string')
  if (!isBearerToken(accessToken)) return fail('access_token holds characters not allowed in a bearer token')
  const tokenType = answer.token_type
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    return fail(
      `token_type is ${typeof tokenType === 'string' ? JSON.stringify(tokenType.slice(0, 20)) : 'missing'}, not Bearer`,
    )
  }
  const expiresIn = answer.expires_in
  if (expiresIn === undefined) return fail('answer has no expires_in')
  if (!isFiniteNumber(expiresIn)) return fail('expires_in is not a number')
  if (!(expiresIn >= MIN_EXPIRES_IN_SECONDS && expiresIn <= MAX_EXPIRES_IN_SECONDS))
    return fail(
      `expires_in is ${expiresIn} s; it must be from ${MIN_EXPIRES_IN_SECONDS} to ${MAX_EXPIRES_IN_SECONDS}`,
    )
  return { accessToken, expiresInSeconds: expiresIn }
}

// Number.isFinite is already false for anything that is not a number; TypeScript's types just do not say so.
function isFiniteNumber(value: unknown): value is number {
  return Number.isFinite(value)
}

/**
 * What `processTokenResponse` needs of the token endpoint's answer.
 *
 * @example
 * ```ts
 * const answer: TokenResponse = { status: res.status, headers: res.headers, body: await res.text() }
 * ```
 */
export interface TokenResponse {
  readonly status: number
  /** A `Headers`, or anything with its `get`: only `Retry-After` is read. */
  readonly headers: { get(name: string): string | null }
  /** The body as text, or undefined when it was longer than {@link MAX_TOKEN_RESPONSE_BYTES} and not read. */
  readonly body: string | undefined
}

/**
 * Decides what the token endpoint's answer means, without any I/O: a token, or a typed failure that says
 * whether the key was rejected (400, 401, 403), whether another attempt is worth it (408, 429, 5xx) and
 * when (`Retry-After`, in seconds or as a date, read against `now`). A redirect is refused: following it
 * would send the Basic credentials wherever it points. A 2xx body is checked by
 * `parseTokenResponse`. It never throws for any answer.
 *
 * @param request - the token URL (messages name its origin and path only) and the access key id (named
 *   when it is rejected; the secret is never needed)
 * @param now - the clock's time in ms, for a `Retry-After` date
 * @example
 * ```ts
 * const { url, init } = buildTokenRequest(tokenUrl, credentials, 'json')
 * const res = await fetch(url, init)
 * const attempt = processTokenResponse(
 *   { status: res.status, headers: res.headers, body: await res.text() },
 *   { tokenUrl, accessKeyId: credentials.accessKeyId },
 *   Date.now(),
 * )
 * if (attempt.ok) use(attempt.answer.accessToken)
 * else if (attempt.failure.retryable) retryIn(attempt.failure.retryAfterMs ?? 1000)
 * ```
 */
export function processTokenResponse(
  response: TokenResponse,
  request: { readonly tokenUrl: string; readonly accessKeyId: string },
  now: number,
): TokenAttempt {
  const { status, body } = response
  const where = describeTokenRequest(request.tokenUrl)
  if (status === 400 || status === 401 || status === 403) {
    // Not the key id itself: with the two variables swapped it would be the secret.
    const what = `answered ${status}: access key id or API secret rejected (key ${keyFingerprint(request.accessKeyId)}); check both, and that the key is active`
    return tokenFailure(where, 'invalid_credentials', what, false, { status })
  }
  if (status === 404) {
    const what = `answered 404: no token endpoint at ${where.slice(where.indexOf(' ') + 1)}: check tokenUrl or M3TER_BASE_URL (an origin such as https://api.m3ter.com)`
    return tokenFailure(where, 'token_endpoint_unavailable', what, false, { status })
  }
  if (status < 200 || status > 399) {
    const retryable = status === 408 || status === 429 || status > 499
    const retryAfterMs = retryable ? parseRetryAfter(response.headers.get('retry-after'), now) : undefined
    return tokenFailure(where, 'token_endpoint_unavailable', `answered ${status}`, retryable, {
      status,
      retryAfterMs,
    })
  }
  if (status > 299)
    return tokenFailure(where, 'invalid_token_response', `answered a redirect (${status})`, false, { status })
  if (body === undefined) {
    const what = `answer is over ${MAX_TOKEN_RESPONSE_BYTES} bytes`
    return tokenFailure(where, 'invalid_token_response', what, false, { status })
  }
  try {
    return { ok: true, answer: parseTokenResponse(body, where) }
  } catch (error) {
    // parseTokenResponse throws only M3terAuthErrors, whose messages never echo the body.
    const failure = {
      error: error as M3terAuthError,
      retryable: false,
      credentialsRejected: false,
      retryAfterMs: undefined,
    }
    return { ok: false, failure }
  }
}
