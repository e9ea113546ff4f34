import type { Logger } from './logger.ts'

/**
 * Wraps a scope test so that the first request to an m3ter-looking origin outside the scope logs one debug
 * line: a `*.m3ter.com` host, or a sibling of a configured origin (the same parent domain, or the same
 * loopback host on another port, as a local mock's ingest port). Such a request goes out without a bearer
 * and m3ter answers 403 "Missing bearer token"; the line says why and what to set. Any other origin is
 * someone else's and is left alone, silently. Each origin is reported once, so a hot path logs nothing more.
 *
 * @param inScope - the scope test, from `createScopePolicy`
 * @param origins - the scope's origins, named in the line and used to find siblings
 * @param logger - where the line goes; without one the test is returned as it is
 *
 * @example
 * ```ts
 * const test = noticeOutOfScope(createScopePolicy(['https://api.m3ter.com']), ['https://api.m3ter.com'], console)
 * test('https://ingest.m3ter.com/organizations/o/measurements') // false, and one console.debug line
 * ```
 */
export function noticeOutOfScope(
  inScope: (url: string | URL) => boolean,
  origins: readonly string[],
  logger: Logger | undefined,
): (url: string | URL) => boolean {
  if (!logger) return inScope
  const configured = origins.map((origin) => new URL(origin))
  const reported = new Set<string>()
  return (target) => {
    if (inScope(target)) return true
    const url = parseOrUndefined(target)
    if (url && !reported.has(url.origin) && looksLikeM3ter(url, configured)) {
      reported.add(url.origin)
      try {
        logger.debug(
          `m3ter-auth: no bearer for ${url.origin}: it is outside the scope [${origins.join(', ')}]; add it to the scope option, or set M3TER_INGEST_URL if it is your ingest origin`,
          { type: 'out_of_scope', origin: url.origin, scope: [...origins] },
        )
      } catch {
        // A broken logger must not break a request.
      }
    }
    return false
  }
}

function looksLikeM3ter(url: URL, configured: readonly URL[]): boolean {
  if (url.hostname === 'm3ter.com' || url.hostname.endsWith('.m3ter.com')) return true
  return configured.some(
    (origin) =>
      origin.hostname === url.hostname ||
      (parentDomain(origin.hostname) !== '' && parentDomain(origin.hostname) === parentDomain(url.hostname)),
  )
}

// 'api.eu.example.com' -> 'eu.example.com'; a host of two labels or fewer (or an IP) has no parent we trust.
function parentDomain(hostname: string): string {
  if (/^[\d.]+$/.test(hostname) || hostname.startsWith('[')) return ''
  const labels = hostname.split('.')
  return labels.length > 2 ? labels.slice(1).join('.') : ''
}

function parseOrUndefined(target: string | URL): URL | undefined {
  try {
    return typeof target === 'string' ? new URL(target) : target
  } catch {
    return undefined
  }
}
