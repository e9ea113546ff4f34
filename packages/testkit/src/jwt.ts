import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Claims of a token issued by the mock. Times are seconds, as in any JWT.
 *
 * @example
 * ```ts
 * const claims: MockTokenClaims | undefined = decodeJwtClaims(await auth.getToken())
 * expect(claims?.orgId).toBe(m3ter.orgId)
 * expect(claims!.exp - claims!.iat).toBe(18_000) // five hours, as m3ter's
 * ```
 */
export interface MockTokenClaims {
  readonly orgId: string
  readonly keyId: string
  readonly iat: number
  readonly exp: number
  readonly jti: string
  readonly sub: string
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url')

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))

/**
 * A throwaway HS256 key: tokens signed with it are accepted by no mock.
 *
 * @example
 * ```ts
 * const forged = signJwt(claims, newSigningKey()) // the API refuses it: bad signature
 * ```
 */
export function newSigningKey(): Buffer {
  return randomBytes(32)
}

/**
 * The mock's HS256 key, derived from its organization, its first access key and a version, so a mock
 * restarted with the same options accepts the tokens it issued before (as m3ter does), and a new version
 * makes every earlier token invalid (m3ter rotating its keys).
 *
 * @example
 * ```ts
 * const key = deriveSigningKey('org-1', { accessKeyId: 'k', apiSecret: 's' }, 0)
 * ```
 */
export function deriveSigningKey(
  orgId: string,
  key: { readonly accessKeyId: string; readonly apiSecret: string },
  version: string | number,
): Buffer {
  // Keyed by the secret so that knowing the org and key id alone does not let anyone mint tokens.
  return createHmac('sha256', key.apiSecret)
    .update(`m3ter-auth testkit signing key\0${orgId}\0${key.accessKeyId}\0${version}`)
    .digest()
}

/**
 * Signs claims as an HS256 JWT.
 *
 * @example
 * ```ts
 * const token = signJwt({ orgId, keyId, iat, exp, jti, sub }, newSigningKey())
 * ```
 */
export function signJwt(claims: MockTokenClaims, key: Buffer): string {
  const body = `${HEADER}.${base64url(JSON.stringify(claims))}`
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`
}

/**
 * Why a bearer was not accepted; `ok` carries the claims.
 *
 * @example
 * ```ts
 * const check: JwtCheck = verifyJwt(token, state.signingKey)
 * if (!check.ok) return { ok: false, message: check.reason === 'signature' ? 'Bad signature' : 'Malformed token' }
 * ```
 */
export type JwtCheck =
  | { ok: true; claims: MockTokenClaims }
  | { ok: false; reason: 'malformed' | 'signature' }

/**
 * Checks shape and signature (expiry and revocation are the server's business, it owns the clock).
 *
 * @example
 * ```ts
 * const check = verifyJwt(token, key)
 * if (check.ok) console.log(check.claims.exp)
 * ```
 */
export function verifyJwt(token: string, key: Buffer): JwtCheck {
  const parts = token.split('.')
  if (parts.length !== 3) return { ok: false, reason: 'malformed' }
  const [header, payload, signature] = parts as [string, string, string]
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest()
  const given = Buffer.from(signature, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'signature' }
  const claims = decodeJwtClaims(token)
  return claims ? { ok: true, claims } : { ok: false, reason: 'malformed' }
}

/**
 * Reads the claims of a mock token without checking it, for assertions in tests.
 *
 * @example
 * ```ts
 * expect(decodeJwtClaims(m3ter.issuedTokens[0]!)?.orgId).toBe(m3ter.orgId)
 * ```
 */
export function decodeJwtClaims(token: string): MockTokenClaims | undefined {
  const payload = token.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const value: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    if (typeof value !== 'object' || value === null) return undefined
    const c = value as Record<string, unknown>
    if (
      typeof c.orgId !== 'string' ||
      typeof c.keyId !== 'string' ||
      typeof c.iat !== 'number' ||
      typeof c.exp !== 'number' ||
      typeof c.jti !== 'string' ||
      typeof c.sub !== 'string'
    )
      return undefined
    return { orgId: c.orgId, keyId: c.keyId, iat: c.iat, exp: c.exp, jti: c.jti, sub: c.sub }
  } catch {
    return undefined
  }
}
