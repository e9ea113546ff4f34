import { M3terAuthError } from './errors.ts'
import { isSecureUrl, parseSecureUrl } from './urls.ts'

/**
 * The origins that receive the bearer unless `scope` (or `M3TER_BASE_URL`) says otherwise: m3ter's API and
 * its ingest endpoint.
 *
 * @example
 * ```ts
 * // m3ter's origins plus a proxy in front of them.
 * createTokenProvider({ scope: [...DEFAULT_SCOPE, 'https://m3ter-proxy.internal.example'] })
 * ```
 */
export const DEFAULT_SCOPE: readonly string[] = ['https://api.m3ter.com', 'https://ingest.m3ter.com']

/**
 * Builds the test "does this URL get the bearer?": its origin must be one of `origins` and the URL must
 * be https (or http to loopback). Anything else, a redirect target on another host included, gets nothing.
 *
 * @example
 * ```ts
 * const inScope = createScopePolicy(['https://api.m3ter.com'])
 * inScope('https://api.m3ter.com/organizations/o/meters') // true
 * inScope('https://evil.example/') // false
 * ```
 */
export function createScopePolicy(origins: readonly string[]): (url: string | URL) => boolean {
  if (!Array.isArray(origins) || !origins.length) {
    throw new M3terAuthError(
      'invalid_options',
      'createTokenProvider: scope must be a non-empty array of origins',
    )
  }
  const allowed = new Set(
    origins.map((entry) => {
      const url = parseSecureUrl(entry, 'scope entry')
      if (url.href !== `${url.origin}/`) {
        throw new M3terAuthError(
          'invalid_options',
          `createTokenProvider: scope entry ${entry} must be an origin`,
        )
      }
      return url.origin
    }),
  )
  // Stryker disable next-line ArrayDeclaration: equivalent, no prefixes only turns the fast path below off.
  const prefixes = [...allowed].map((origin) => `${origin}/`)
  return (target) => {
    // Fast path for the common case: a string that begins with an allowed origin and a '/' cannot name
    // another origin. Anything else (other case, explicit port, URL objects) is parsed.
    // Its condition -> false and some -> every are equivalent too, but stay counted: the same mutators make
    // killable mutants on this line (condition -> true, startsWith -> endsWith).
    // Stryker disable next-line StringLiteral,ArrowFunction: equivalent, they only switch the fast path off.
    if (typeof target === 'string' && prefixes.some((prefix) => target.startsWith(prefix))) return true
    try {
      // (The test -> true is an equivalent mutant, new URL(url) copies a URL object; it stays counted, as the
      // test -> false is killable and one `Stryker disable` would hide both.)
      const url = typeof target === 'string' ? new URL(target) : target
      return allowed.has(url.origin) && isSecureUrl(url)
    } catch {
      return false
    }
  }
}
