import { M3terAuthError } from './errors.ts'

/**
 * The one part of a token answer that m3ter-auth keeps.
 *
 * @example
 * ```ts
 * const { accessToken, expiresInSeconds } = parseTokenResponse(body, 'POST https://api.m3ter.com/oauth/token')
 * ```
 */
export interface TokenAnswer {
  readonly accessToken: string
  readonly expiresInSeconds: number
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
  const fail = (what: string, cause?: unknown): never => {
    throw new M3terAuthError(
      'invalid_token_response',
      `${where}: ${what}`,
      cause === undefined ? { status: 200 } : { status: 200, cause },
    )
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
  if (!TOKEN_CHARACTERS.test(accessToken))
    return fail('access_token holds characters not allowed in a bearer token')
  const tokenType = answer.token_type
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    return fail(
      `token_type is ${typeof tokenType === 'string' ? JSON.stringify(tokenType.slice(0, 20)) : 'missing'}, not Bearer`,
    )
  }
  const expiresIn = answer.expires_in
  if (expiresIn === undefined) return fail('answer has no expires_in')
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn)) return fail('expires_in is not a number')
  if (!(expiresIn >= MIN_EXPIRES_IN_SECONDS && expiresIn <= MAX_EXPIRES_IN_SECONDS))
    return fail(
      `expires_in is ${expiresIn} s; it must be from ${MIN_EXPIRES_IN_SECONDS} to ${MAX_EXPIRES_IN_SECONDS}`,
    )
  return { accessToken, expiresInSeconds: expiresIn }
}
