import { decodeJwt, organizationOf } from '../jwt.ts'

/**
 * What `m3ter-auth inspect --json` prints.
 *
 * @example
 * ```ts
 * const output = execFileSync('m3ter-auth', ['inspect', '--json', token], { encoding: 'utf8' })
 * const { organization, expires_at }: Inspection = JSON.parse(output)
 * ```
 */
export interface Inspection {
  readonly header: Record<string, unknown>
  readonly claims: Record<string, unknown>
  readonly organization: string | null
  readonly issued_at: string | null
  readonly expires_at: string | null
  /** Seconds until `exp`; negative once expired. */
  readonly expires_in: number | null
  readonly expired: boolean | null
  readonly signature: string
}

/**
 * Describes a token: header, claims, organisation, expiry and time left. Never its signature.
 *
 * @example
 * ```ts
 * const { expires_in, organization } = inspectToken(await auth.getToken(), Date.now())
 * if (expires_in !== null && expires_in < 300) console.warn(`${organization}: token expires in ${expires_in} s`)
 * ```
 */
export function inspectToken(token: string, now: number): Inspection {
  const { header, claims, signatureBytes } = decodeJwt(token)
  const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : undefined
  const iat = typeof claims.iat === 'number' ? claims.iat * 1000 : undefined
  return {
    header,
    claims,
    organization: organizationOf(claims) ?? null,
    issued_at: iat === undefined ? null : new Date(iat).toISOString(),
    expires_at: exp === undefined ? null : new Date(exp).toISOString(),
    expires_in: exp === undefined ? null : Math.floor((exp - now) / 1000),
    expired: exp === undefined ? null : exp <= now,
    signature: `not shown (${signatureBytes} bytes)`,
  }
}

/**
 * The text form: one aligned line per fact, claims last.
 *
 * @example
 * ```ts
 * process.stdout.write(formatInspection(inspectToken(token, Date.now())))
 * ```
 */
export function formatInspection(inspection: Inspection): string {
  const left = inspection.expires_in
  const expiry =
    inspection.expires_at === null || left === null
      ? 'no exp claim'
      : `${inspection.expires_at} (${left > 0 ? `in ${duration(left)}` : `expired ${duration(-left)} ago`})`
  const lines: [string, string][] = [
    ['organization', inspection.organization ?? 'no organization claim'],
    ['issued', inspection.issued_at ?? 'no iat claim'],
    ['expires', expiry],
    ['algorithm', String(inspection.header.alg ?? 'none given')],
    ['signature', inspection.signature],
  ]
  const claims = JSON.stringify(inspection.claims, null, 2).replace(/\n/g, '\n  ')
  return `${lines.map(([name, value]) => `${name.padEnd(13)}${value}`).join('\n')}\nclaims\n  ${claims}\n`
}

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s} s` : `${s} s`
}
