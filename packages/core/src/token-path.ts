/**
 * Is `url` a request for the token endpoint at `tokenUrl`? Paths are compared as a server may read them,
 * not as written: case-insensitively, percent-decoded (`/oauth/%74oken`), with duplicate and trailing
 * slashes and `;parameters` of a segment ignored. Erring towards "yes" only costs a request its bearer,
 * while "no" for a path the server routes to its token endpoint would hand it our token.
 *
 * @param tokenUrl - the provider's token endpoint; undefined (a provider of one's own) matches nothing
 * @param url - the URL a request or a redirect hop goes to
 *
 * @example
 * ```ts
 * isTokenEndpoint('https://api.m3ter.com/oauth/token', 'https://api.m3ter.com//OAUTH/token/') // true
 * isTokenEndpoint('https://api.m3ter.com/oauth/token', 'https://api.m3ter.com/oauth/tokens') // false
 * ```
 */
export function isTokenEndpoint(tokenUrl: string | undefined, url: string | URL): boolean {
  if (tokenUrl === undefined) return false
  const href = typeof url === 'string' ? url : url.href
  // Stryker disable next-line ConditionalExpression: equivalent (-> false), a cache never hit decides afresh.
  if (lastAsked?.href === href && lastAsked.tokenUrl === tokenUrl) return lastAsked.verdict
  const verdict = decided(tokenUrl, href)
  // Stryker disable next-line ObjectLiteral: equivalent, an empty cache never hits (each call decides).
  lastAsked = { tokenUrl, href, verdict }
  return verdict
}

// The last URL asked about and its answer. Adapters ask once per request, and a client mostly sends the same
// URL again and again (m3ter's ingest endpoint, a paged list): the two tests below cost some 1,000
// instructions a request, a comparison of two strings a few dozen.
let lastAsked: { readonly tokenUrl: string; readonly href: string; readonly verdict: boolean } | undefined

function decided(tokenUrl: string, href: string): boolean {
  const endpoint = endpointOf(tokenUrl)
  if (endpoint === undefined) return false
  // Most requests neither name the endpoint's last segment nor hold a character that could hide it: no URL
  // to parse for them.
  if (!endpoint.lastSegment.test(href) && !MAY_HIDE_A_SEGMENT.test(href)) return false
  try {
    const target = new URL(href)
    return target.origin === endpoint.origin && normalisedPath(target.pathname) === endpoint.path
  } catch {
    return false
  }
}

/**
 * What can turn a URL that does not spell the last segment into one that does: the URL parser drops tabs and
 * newlines (`tok\ten` is `token`), `%` escapes decode, and a non-ASCII letter may lower-case to an ASCII one
 * (the Kelvin sign `\u212A` becomes `k`).
 */
// Stryker disable next-line Regex: equivalent, a class matching more only sends more URLs to the full parse.
const MAY_HIDE_A_SEGMENT = /[%\t\n\r\u0080-\uffff]/

interface Endpoint {
  readonly origin: string
  readonly path: string
  readonly lastSegment: RegExp
}

// One provider has one token URL: the last one parsed is kept, so the hot path parses nothing.
let cached: { readonly tokenUrl: string; readonly endpoint: Endpoint | undefined } | undefined

function endpointOf(tokenUrl: string): Endpoint | undefined {
  if (cached?.tokenUrl === tokenUrl) return cached.endpoint
  let endpoint: Endpoint | undefined
  try {
    const parsed = new URL(tokenUrl)
    const path = normalisedPath(parsed.pathname)
    // Stryker disable next-line StringLiteral: equivalent, '' leaves last empty: every URL matches (parsed).
    const last = path.slice(path.lastIndexOf('/') + 1)
    endpoint = { origin: parsed.origin, path, lastSegment: new RegExp(escaped(last), 'i') }
  } catch {
    // Not a URL: endpoint stays undefined, and matches nothing.
  }
  // Stryker disable next-line ObjectLiteral: equivalent, an empty cache never hits (each call parses).
  cached = { tokenUrl, endpoint }
  return endpoint
}

/**
 * A path as servers commonly route it: percent-decoded (repeatedly, so `%2574` counts too), lower-cased,
 * without `;parameters`, empty or dot segments or a trailing slash. `/OAuth//%74oken/` becomes `/oauth/token`.
 */
function normalisedPath(pathname: string): string {
  let path = pathname
  // Stryker disable next-line StringLiteral: equivalent, decoding a path without '%' returns it unchanged.
  for (let i = 0; i < 3 && path.includes('%'); i++) path = decoded(path)
  const segments: string[] = []
  for (const raw of path.toLowerCase().split(/[/\\]/)) {
    // Up to the first ';' (its parameters may hold any character, a decoded newline included).
    const segment = raw.replace(/;.*/s, '')
    if (segment === '..') segments.pop()
    else if (segment !== '' && segment !== '.') segments.push(segment)
  }
  return `/${segments.join('/')}`
}

function decoded(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    // A stray `%` that is not an escape: decode the escapes that are well formed, leave the rest.
    return path.replace(/(%[0-9a-f]{2})+/gi, (run) => {
      try {
        return decodeURIComponent(run)
      } catch {
        return run
      }
    })
  }
}

// Stryker disable next-line BlockStatement: equivalent, RegExp(undefined) matches every URL: all parsed.
function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
