import { CliError, ExitCode } from './exit-codes.ts'

/**
 * A JWT taken apart for display. The signature is deliberately not kept: only its length.
 *
 * @example
 * ```ts
 * const { header }: DecodedJwt = decodeJwt(token)
 * if (header.alg === 'none') throw new Error('an unsigned token')
 * ```
 */
export interface DecodedJwt {
  readonly header: Record<string, unknown>
  readonly claims: Record<string, unknown>
  readonly signatureBytes: number
}

/**
 * Decodes a JWT's header and claims without verifying it (only m3ter can), and drops the signature, the one
 * part that would let the token be replayed if it were printed beside the others.
 *
 * @example
 * ```ts
 * const { claims } = decodeJwt(token)
 * console.log(new Date(Number(claims.exp) * 1000))
 * ```
 */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token
    .trim()
    .replace(/^bearer\s+/i, '')
    .split('.')
  if (parts.length !== 3) throw new CliError(ExitCode.Usage, 'not a JWT: expected three dot-separated parts')
  const [header, payload, signature] = parts as [string, string, string]
  return {
    header: decodePart(header, 'header'),
    claims: decodePart(payload, 'claims'),
    signatureBytes: Buffer.from(signature, 'base64url').length,
  }
}

function decodePart(part: string, name: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>
  } catch {
    // Reported below, in the same words as a non-object.
  }
  throw new CliError(ExitCode.Usage, `not a JWT: its ${name} is not base64url JSON`)
}

/**
 * The organisation a token belongs to. m3ter does not document its claim names, so the first claim whose
 * name mentions "org" and holds a string is taken (`orgId` in the testkit's mock).
 *
 * @example
 * ```ts
 * const orgId = organizationOf(decodeJwt(token).claims) ?? process.env.M3TER_ORG_ID
 * ```
 */
export function organizationOf(claims: Record<string, unknown>): string | undefined {
  for (const [name, value] of Object.entries(claims)) {
    if (/org/i.test(name) && typeof value === 'string') return value
  }
  return undefined
}
