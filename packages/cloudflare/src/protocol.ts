import type { StoredToken } from '@m3ter-auth/core'
import { MAX_EXPIRES_IN_SECONDS } from '@m3ter-auth/core/internals'

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
 * Version 2 sends durations, not instants: an isolate's clock and the broker's differ.
 *
 * @example
 * ```ts
 * // A health route: during a rolling deploy, Workers and the broker must speak the same format.
 * if (url.pathname === '/health') return Response.json({ m3terTokenFormat: FORMAT_VERSION })
 * ```
 */
export const FORMAT_VERSION = 2

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
 * A token on the wire: durations only. `expiresInMs` is counted from when the broker answers; the isolate
 * counts it from when it asked, so its `expiresAt` is never later than the broker's.
 *
 * @example
 * ```ts
 * const wire: WireToken = { accessToken, expiresInMs: 3_600_000, lifetimeMs: 18_000_000, refreshMs: 14_400_000 }
 * ```
 */
export interface WireToken {
  readonly accessToken: string
  readonly expiresInMs: number
  /** From the token request's start to its expiry. */
  readonly lifetimeMs: number
  /** From the token request's start to its refresh point. */
  readonly refreshMs: number
}

/**
 * Answer of `/token` with 200.
 *
 * @example
 * ```ts
 * const body: TokenReply = { v: FORMAT_VERSION, token: toWire(token, clock.now()) }
 * return Response.json(body)
 * ```
 */
export interface TokenReply {
  readonly v: typeof FORMAT_VERSION
  readonly token: WireToken
}

/**
 * The longest lifetime a token may claim: the longest core accepts from the token endpoint. Anything
 * longer did not come from m3ter.
 *
 * @example
 * ```ts
 * if (token.expiresAt - token.obtainedAt > MAX_LIFETIME_MS) return undefined
 * ```
 */
export const MAX_LIFETIME_MS = MAX_EXPIRES_IN_SECONDS * 1000

/**
 * A token's times as durations from `now` (the broker's clock).
 *
 * @example
 * ```ts
 * Response.json({ v: FORMAT_VERSION, token: toWire(storage.current(), clock.now()) })
 * ```
 */
export function toWire(token: StoredToken, now: number): WireToken {
  return {
    accessToken: token.accessToken,
    expiresInMs: Math.floor(token.expiresAt - now),
    lifetimeMs: Math.floor(token.expiresAt - token.obtainedAt),
    refreshMs: Math.floor(token.refreshAt - token.obtainedAt),
  }
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
const isDuration = (value: unknown, max: number): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= max

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
  // Times no token of m3ter's has (a hundred-year lifetime, a refresh after expiry) were not written by us.
  const lifetime = expiresAt - obtainedAt
  if (!(lifetime > 0 && lifetime <= MAX_LIFETIME_MS && refreshAt >= obtainedAt && refreshAt <= expiresAt))
    return undefined
  return { accessToken, obtainedAt, expiresAt, refreshAt }
}

/**
 * A reply of the broker's `/token` as the store reads it, its times rebuilt on the isolate's clock from
 * `askedAt` (when it sent the request); undefined when it is not one of this version or its durations are
 * off (no token lives longer than {@link MAX_LIFETIME_MS}).
 *
 * @example
 * ```ts
 * const askedAt = clock.now()
 * const answer = await stub.fetch(`${BROKER_ORIGIN}/token`, init)
 * const token = answer.status === 200 ? parseTokenReply(await answer.json(), askedAt) : undefined
 * ```
 */
export function parseTokenReply(value: unknown, askedAt: number): StoredToken | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { v, token } = value as Record<string, unknown>
  if (v !== FORMAT_VERSION || typeof token !== 'object' || token === null) return undefined
  const { accessToken, expiresInMs, lifetimeMs, refreshMs } = token as Record<string, unknown>
  if (typeof accessToken !== 'string' || accessToken === '') return undefined
  if (!isDuration(lifetimeMs, MAX_LIFETIME_MS) || lifetimeMs === 0) return undefined
  if (!isDuration(expiresInMs, lifetimeMs) || expiresInMs === 0 || !isDuration(refreshMs, lifetimeMs))
    return undefined
  const expiresAt = askedAt + expiresInMs
  const obtainedAt = expiresAt - lifetimeMs
  return { accessToken, obtainedAt, expiresAt, refreshAt: obtainedAt + refreshMs }
}
