/**
 * Reads `Authorization: Basic base64(key:secret)` the way m3ter does: base64 of the raw UTF-8 bytes, the
 * key id up to the first colon. Returns undefined for anything else.
 *
 * @example
 * ```ts
 * parseBasicAuth('Basic ' + Buffer.from('id:sécret').toString('base64')) // { accessKeyId: 'id', apiSecret: 'sécret' }
 * ```
 */
export function parseBasicAuth(
  header: string | undefined,
): { accessKeyId: string; apiSecret: string } | undefined {
  const match = header === undefined ? null : /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header)
  if (!match?.[1]) return undefined
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return undefined
  return { accessKeyId: decoded.slice(0, colon), apiSecret: decoded.slice(colon + 1) }
}

/**
 * Parses a token request body: JSON or form encoding, decided by Content-Type (tried in turn without one).
 *
 * @example
 * ```ts
 * parseGrantType('grant_type=client_credentials', 'application/x-www-form-urlencoded') // 'client_credentials'
 * ```
 */
export function parseGrantType(body: string, contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase()
  const fromJson = () => {
    try {
      const value: unknown = JSON.parse(body)
      const grant =
        typeof value === 'object' && value !== null
          ? (value as { grant_type?: unknown }).grant_type
          : undefined
      return typeof grant === 'string' ? grant : undefined
    } catch {
      return undefined
    }
  }
  const fromForm = () => new URLSearchParams(body).get('grant_type') ?? undefined
  if (type === 'application/json') return fromJson()
  if (type === 'application/x-www-form-urlencoded') return fromForm()
  return fromJson() ?? fromForm()
}
