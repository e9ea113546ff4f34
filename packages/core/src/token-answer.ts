// What a token answer comes down to: the token and its lifetime. Below both the parser (token-response.ts)
// and the attempt's outcome (token-failure.ts), which would otherwise import each other.

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
