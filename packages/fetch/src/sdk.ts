import type { TokenProvider } from '@m3ter-auth/core'
import { ENV_INGEST_URL, readEnvironment } from '@m3ter-auth/core/internals'
import { type FetchLike, withM3terAuth } from './index.ts'

/**
 * The `fetch` shape m3ter's official TypeScript SDK (`m3ter-sdk`) takes: a web fetch that is called with a
 * URL string and an init.
 *
 * @example
 * ```ts
 * const sdkFetch: M3terSdkFetch = m3terSdkOptions(auth).fetch
 * ```
 */
export type M3terSdkFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/**
 * What {@link m3terSdkOptions} gives the SDK's constructor: spread it in and add the rest (`orgID`, `baseURL`).
 *
 * @example
 * ```ts
 * const { fetch, token } = m3terSdkOptions(auth)
 * ```
 */
export interface M3terSdkOptions {
  /** `withM3terAuth(auth)`: every request in scope gets m3ter-auth's bearer in place of the SDK's. */
  readonly fetch: M3terSdkFetch
  /** A placeholder: with a token given, the SDK never asks for one itself. */
  readonly token: string
  /** Placeholders too: the SDK insists on them, and only m3ter-auth holds the real key. */
  readonly apiKey: string
  readonly apiSecret: string
}

/**
 * Options of {@link m3terSdkOptions}.
 *
 * @example
 * ```ts
 * m3terSdkOptions(auth, { ingestUrl: 'http://127.0.0.1:4011' })
 * ```
 */
export interface M3terSdkOptionsInput {
  /** The fetch to wrap. Default `globalThis.fetch`. */
  readonly fetch?: FetchLike
  /**
   * Where measurements go when that is not the SDK's own guess (its base URL with `api.` replaced by
   * `ingest.`), as for a local mock on two ports. Default `M3TER_INGEST_URL`, else the SDK's guess stands.
   */
  readonly ingestUrl?: string
}

const PLACEHOLDER = 'held-by-m3ter-auth'
const MEASUREMENTS = /^\/organizations\/[^/]+\/measurements$/

/**
 * m3ter's official TypeScript SDK in one line: what its constructor needs so that m3ter-auth owns the token
 * (one shared token request, refresh ahead of expiry, recovery from a revoked token) and the SDK never sees
 * the API secret. `usage.submit` reaches the ingest origin: the SDK derives it from its base URL
 * (`api.` → `ingest.`), and where that guess is wrong (a local mock) `M3TER_INGEST_URL` or `ingestUrl` names
 * it and its measurements are sent there. Keep the ingest origin in the provider's scope (the default).
 *
 * @example
 * ```ts
 * import M3ter from 'm3ter-sdk'
 * import { createTokenProvider } from '@m3ter-auth/core'
 * import { m3terSdkOptions } from '@m3ter-auth/fetch'
 *
 * const auth = createTokenProvider() // M3TER_API_KEY / M3TER_API_SECRET, M3TER_BASE_URL
 * const client = new M3ter({ ...m3terSdkOptions(auth), orgID: process.env.M3TER_ORG_ID })
 * ```
 */
export function m3terSdkOptions(auth: TokenProvider, options: M3terSdkOptionsInput = {}): M3terSdkOptions {
  const authed = withM3terAuth(auth, options.fetch as typeof globalThis.fetch | undefined)
  const ingest = options.ingestUrl ?? readEnvironment(ENV_INGEST_URL)
  const ingestOrigin = ingest ? new URL(ingest).origin : undefined
  const fetch: M3terSdkFetch = (input, init) => authed(towardIngest(input, init, ingestOrigin), init)
  return { fetch, token: PLACEHOLDER, apiKey: PLACEHOLDER, apiSecret: PLACEHOLDER }
}

// The SDK sends `POST <base>/organizations/<id>/measurements` with its base's `api.` swapped for `ingest.`;
// on a host without `api.` that stays on the API origin, which has no such route.
function towardIngest(
  input: string | URL | Request,
  init: RequestInit | undefined,
  ingestOrigin: string | undefined,
): string | URL | Request {
  if (!ingestOrigin || (typeof input === 'object' && !(input instanceof URL))) return input
  if ((init?.method ?? 'GET').toUpperCase() !== 'POST') return input
  const url = new URL(input)
  if (url.origin === ingestOrigin || !MEASUREMENTS.test(url.pathname)) return input
  return `${ingestOrigin}${url.pathname}${url.search}`
}
