import { M3terAuthError } from './errors.ts'
import { parseSecureUrl } from './urls.ts'

/**
 * The environment variable naming m3ter's API origin, as m3ter's official SDKs and our CLI read it: a
 * region, a proxy or a local mock. It sets the default token URL (`<origin>/oauth/token`) and the default
 * scope (the API origin and the ingest origin derived from it).
 *
 * @example
 * ```ts
 * // M3TER_BASE_URL=http://127.0.0.1:4010 M3TER_INGEST_URL=http://127.0.0.1:4011 node app.js
 * console.log(process.env[ENV_BASE_URL] ?? 'https://api.m3ter.com')
 * ```
 */
export const ENV_BASE_URL = 'M3TER_BASE_URL'

/**
 * The environment variable naming the ingest origin when it is not the API origin with `api.` replaced by
 * `ingest.` (a local mock listens on two loopback ports, say). Ours; m3ter's SDKs derive it only.
 *
 * @example
 * ```ts
 * // What `m3ter-auth mock` prints: both origins, so that measurements get the bearer too.
 * // export M3TER_BASE_URL=http://127.0.0.1:4010 M3TER_INGEST_URL=http://127.0.0.1:4011
 * ```
 */
export const ENV_INGEST_URL = 'M3TER_INGEST_URL'

/** Defaults that the environment gives the provider's options; both undefined when it says nothing. */
export interface EnvironmentDefaults {
  readonly tokenUrl: string | undefined
  readonly scope: readonly string[] | undefined
}

/**
 * Reads one variable where a `process.env` exists (Node, Bun, Deno with env access), else undefined.
 *
 * @example
 * ```ts
 * const base = readEnvironment('M3TER_BASE_URL') // undefined in a Worker
 * ```
 */
export function readEnvironment(name: string): string | undefined {
  try {
    return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name]
  } catch {
    // Deno without --allow-env throws on access: no environment.
    return undefined
  }
}

/**
 * The ingest origin m3ter's official SDK derives from an API origin: its first host label `api` becomes
 * `ingest` (`https://api.eu.m3ter.com` → `https://ingest.eu.m3ter.com`). Undefined when the host has no
 * such label (a loopback mock): then only `M3TER_INGEST_URL` can name it.
 *
 * @example
 * ```ts
 * deriveIngestOrigin('https://api.m3ter.com') // 'https://ingest.m3ter.com'
 * deriveIngestOrigin('http://127.0.0.1:4010') // undefined
 * ```
 */
export function deriveIngestOrigin(apiOrigin: string): string | undefined {
  const url = new URL(apiOrigin)
  if (!url.hostname.startsWith('api.')) return undefined
  url.hostname = `ingest.${url.hostname.slice('api.'.length)}`
  return url.origin
}

/**
 * The one environment story, as m3ter's SDKs tell it: `M3TER_BASE_URL` is the API origin, where the token
 * endpoint is (`/oauth/token`) and which gets the bearer with the ingest origin derived from it
 * ({@link deriveIngestOrigin}) or named by `M3TER_INGEST_URL`. Only defaults come from here; explicit
 * options win. A base URL with a path (`…/organizations/<id>`) is refused with `invalid_options`: the
 * token endpoint would be looked for under it and answer 404 or 403.
 *
 * @example
 * ```ts
 * // M3TER_BASE_URL=https://api.eu.m3ter.com
 * environmentDefaults()
 * // { tokenUrl: 'https://api.eu.m3ter.com/oauth/token', scope: ['https://api.eu.m3ter.com', 'https://ingest.eu.m3ter.com'] }
 * ```
 */
export function environmentDefaults(): EnvironmentDefaults {
  const api = originFromEnvironment(ENV_BASE_URL)
  const ingest = originFromEnvironment(ENV_INGEST_URL) ?? (api && deriveIngestOrigin(api))
  if (!api) return { tokenUrl: undefined, scope: ingest ? ['https://api.m3ter.com', ingest] : undefined }
  return { tokenUrl: `${api}/oauth/token`, scope: ingest ? [api, ingest] : [api] }
}

// An origin, with at most a trailing slash: a path would silently move the token endpoint.
function originFromEnvironment(name: string): string | undefined {
  const value = readEnvironment(name)?.trim()
  if (!value) return undefined
  const url = parseSecureUrl(value, name)
  const path = url.pathname.replace(/\/+$/, '')
  if (path || url.search || url.hash) {
    throw new M3terAuthError(
      'invalid_options',
      `createTokenProvider: ${name} must be an origin such as https://api.m3ter.com, not ${url.origin}${path}: remove the path (the organization id goes in M3TER_ORG_ID)`,
    )
  }
  return url.origin
}
