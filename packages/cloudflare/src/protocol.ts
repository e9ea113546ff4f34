import type { StoredToken } from '@m3ter-auth/core'

/**
 * The wire between the isolates' store and the broker: POST requests with JSON bodies, never a token or a
 * key in a URL (URLs are what request logs keep). The origin is a placeholder: a stub's fetch goes to its
 * Durable Object whatever the host.
 *
 * @example
 * ```ts
 * const answer = await stub.fetch(`${BROKER_ORIGIN}/token`, { method: 'POST', body: JSON.stringify(query) })
 * ```
 */
export const BROKER_ORIGIN = 'https://m3ter-token-broker.internal'

/**
 * Version of the stored and transferred token format; a broker or store that sees another ignores it.
 *
 * @example
 * ```ts
 * // A health route: during a rolling deploy, Workers and the broker must speak the same format.
 * if (url.pathname === '/health') return Response.json({ m3terTokenFormat: FORMAT_VERSION })
 * ```
 */
export const FORMAT_VERSION = 1

/**
 * Body of `/token`: the store key, and how long the caller will wait.
 *
 * @example
 * ```ts
 * const query: TokenQuery = { key, waitMs: timeoutMs }
 * await stub.fetch(`${BROKER_ORIGIN}/token`, { method: 'POST', body: JSON.stringify(query) })
 * ```
 */
export interface TokenQuery {
  readonly key: string
  readonly waitMs: number
}

/**
 * Body of `/invalidate`: compare-and-delete of `accessToken` under `key`.
 *
 * @example
 * ```ts
 * const query: InvalidateQuery = { key, accessToken } // the token the API refused, and only that one
 * ```
 */
export interface InvalidateQuery {
  readonly key: string
  readonly accessToken: string
}

/**
 * Answer of `/token` with 200.
 *
 * @example
 * ```ts
 * const body: TokenReply = { v: FORMAT_VERSION, token }
 * return Response.json(body)
 * ```
 */
export interface TokenReply {
  readonly v: typeof FORMAT_VERSION
  readonly token: StoredToken
}

/**
 * Answer of `/token` with 409 or 503: why the broker gives no token. Never a secret.
 *
 * @example
 * ```ts
 * return Response.json({ code: 'unknown_key' } satisfies RefusalReply, { status: 409 })
 * ```
 */
export interface RefusalReply {
  readonly code: string
}

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

/**
 * A StoredToken from untrusted JSON, or undefined when anything about it is off.
 *
 * @example
 * ```ts
 * const token = parseStoredToken(await storage.get(key)) // undefined for anything that is not one
 * ```
 */
export function parseStoredToken(value: unknown): StoredToken | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { accessToken, obtainedAt, expiresAt, refreshAt } = value as Record<string, unknown>
  if (typeof accessToken !== 'string' || accessToken === '') return undefined
  if (!isTime(obtainedAt) || !isTime(expiresAt) || !isTime(refreshAt)) return undefined
  return { accessToken, obtainedAt, expiresAt, refreshAt }
}

/**
 * A reply of the broker's `/token` as the store reads it; undefined when it is not one of this version.
 *
 * @example
 * ```ts
 * const token = answer.status === 200 ? parseTokenReply(await answer.json()) : undefined
 * ```
 */
export function parseTokenReply(value: unknown): StoredToken | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { v, token } = value as Record<string, unknown>
  return v === FORMAT_VERSION ? parseStoredToken(token) : undefined
}
