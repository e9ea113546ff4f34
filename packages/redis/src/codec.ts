import type { StoredToken } from '@m3ter-auth/core'
import { MAX_EXPIRES_IN_SECONDS, type TokenCipher } from '@m3ter-auth/core/internals'
import { sha256Hex } from './crypto.ts'

/**
 * The format version this package writes. A value with a higher one was written by a newer release: it
 * is ignored (and replaced by this one's next write), never misread. Version 2 keeps durations, not
 * instants: members' wall clocks differ, so each reader rebuilds the times from its own clock.
 *
 * @example
 * ```ts
 * // A look at the fleet's stored token (its key from `redis-cli --scan --pattern 'm3ter-auth:*'`)
 * const { v } = JSON.parse((await redis.get(key)) ?? '{}')
 * if (v > VALUE_VERSION) console.warn('written by a newer @m3ter-auth/redis: this release ignores it')
 * ```
 */
export const VALUE_VERSION = 2

/**
 * The longest lifetime a stored token may claim: the longest core accepts from the token endpoint. A
 * value claiming more was not written by a member; it is refused, and a revoked token's tombstone lasts
 * this long when the token itself is no longer stored.
 *
 * @example
 * ```ts
 * if (lifetimeMs > MAX_LIFETIME_MS) return { ignored: 'corrupt' }
 * ```
 */
export const MAX_LIFETIME_MS = MAX_EXPIRES_IN_SECONDS * 1000

/**
 * Why a stored value was not used: `corrupt` (not a value of ours, or times no member writes),
 * `newer_version`, `older_version` (an earlier release's format), `wrong_key` (sealed with another
 * encryption key, or under another Redis key), `encrypted` (sealed, and this store has no key),
 * `not_encrypted` (in clear, and this store requires encryption), `revoked` (a value of a token that was
 * revoked, written back: a replay).
 *
 * @example
 * ```ts
 * onEvent: (e) => {
 *   if (e.type === 'value_ignored' && e.reason === 'wrong_key') console.warn('M3TER_TOKEN_KEY differs across the fleet')
 * }
 * ```
 */
export type IgnoredReason =
  | 'corrupt'
  | 'newer_version'
  | 'older_version'
  | 'wrong_key'
  | 'encrypted'
  | 'not_encrypted'
  | 'revoked'

/**
 * What a stored value turned out to be.
 *
 * @example
 * ```ts
 * const read = await decodeValue(raw, pttl, readAt, redisKey, cipher)
 * if ('token' in read) use(read.token)
 * ```
 */
export type Decoded = { readonly token: StoredToken } | { readonly ignored: IgnoredReason }

/**
 * A value ready to write: the JSON, its TTL (the token's remaining lifetime) and the token's hash.
 *
 * @example
 * ```ts
 * const { value, ttlMs, hash } = (await encodeValue(token, clock.now(), redisKey))!
 * ```
 */
export interface Encoded {
  readonly value: string
  readonly ttlMs: number
  readonly hash: string
}

/** What a value holds: the token and two durations, counted from when the token request started. */
interface Durations {
  readonly accessToken: string
  readonly lifetimeMs: number
  readonly refreshMs: number
}

/**
 * The value stored for a token: `{"v":2,"t":…,"token":{accessToken,lifetimeMs,refreshMs}}`, or
 * `{"v":2,"t":…,"sealed":"…"}` with an encryption key (that JSON under AES-256-GCM, bound to the Redis
 * key). `t` is the token's SHA-256, for the scripts' fencing and tombstones. The token's remaining lifetime
 * is the key's TTL, kept by Redis's clock; undefined when the token has already expired on `now`.
 *
 * @example
 * ```ts
 * const encoded = await encodeValue(token, clock.now(), redisKey, cipher)
 * if (encoded) await commands.write(redisKey, encoded.value, encoded.ttlMs, encoded.hash, '')
 * ```
 */
export async function encodeValue(
  token: StoredToken,
  now: number,
  context: string,
  cipher?: TokenCipher,
): Promise<Encoded | undefined> {
  const ttlMs = Math.floor(token.expiresAt - now)
  const lifetimeMs = Math.floor(token.expiresAt - token.obtainedAt)
  const refreshMs = Math.floor(token.refreshAt - token.obtainedAt)
  if (!(ttlMs > 0 && lifetimeMs > 0) || !Number.isSafeInteger(lifetimeMs)) return undefined
  const plain: Durations = {
    accessToken: token.accessToken,
    lifetimeMs,
    refreshMs: Math.min(Math.max(refreshMs, 0), lifetimeMs),
  }
  const hash = await sha256Hex(token.accessToken)
  const body = cipher
    ? { v: VALUE_VERSION, t: hash, sealed: await cipher.seal(JSON.stringify(plain), context) }
    : { v: VALUE_VERSION, t: hash, token: plain }
  return { value: JSON.stringify(body), ttlMs: Math.min(ttlMs, lifetimeMs), hash }
}

/**
 * Reads a stored value; never throws: what cannot be used comes back as `{ ignored }`. `pttl` is the key's
 * remaining time on Redis's clock, read with the value; `readAt` is the reader's clock when it sent the
 * read, so the rebuilt `expiresAt` is never later than the token's true expiry.
 *
 * @example
 * ```ts
 * await decodeValue('{"v":3}', 1000, clock.now(), redisKey) // { ignored: 'newer_version' }
 * ```
 */
export async function decodeValue(
  raw: string,
  pttl: number,
  readAt: number,
  context: string,
  cipher?: TokenCipher,
): Promise<Decoded> {
  const value = parse(raw)
  if (!isRecord(value) || !Number.isSafeInteger(value.v) || (value.v as number) < 1)
    return { ignored: 'corrupt' }
  if ((value.v as number) > VALUE_VERSION) return { ignored: 'newer_version' }
  if ((value.v as number) < VALUE_VERSION) return { ignored: 'older_version' }
  let durations: unknown = value.token
  if (typeof value.sealed === 'string') {
    if (!cipher) return { ignored: 'encrypted' }
    const opened = await cipher.open(value.sealed, context)
    if (opened === undefined) return { ignored: 'wrong_key' }
    durations = parse(opened)
  } else if (cipher) return { ignored: 'not_encrypted' }
  const read = asDurations(durations)
  // The clear hash is what the scripts fence on: it must be this token's, or a tombstone could be dodged.
  if (!read || value.t !== (await sha256Hex(read.accessToken))) return { ignored: 'corrupt' }
  if (pttl === -3) return { ignored: 'revoked' }
  // A TTL longer than the lifetime was not set by a member (PEXPIRE by hand, a tampered value).
  if (!(Number.isSafeInteger(pttl) && pttl > 0 && pttl <= read.lifetimeMs)) return { ignored: 'corrupt' }
  const expiresAt = readAt + pttl
  const obtainedAt = expiresAt - read.lifetimeMs
  return {
    token: { accessToken: read.accessToken, obtainedAt, expiresAt, refreshAt: obtainedAt + read.refreshMs },
  }
}

function asDurations(value: unknown): Durations | undefined {
  if (!isRecord(value) || typeof value.accessToken !== 'string' || !value.accessToken) return undefined
  const { accessToken, lifetimeMs, refreshMs } = value
  if (!(Number.isSafeInteger(lifetimeMs) && Number.isSafeInteger(refreshMs))) return undefined
  const lifetime = lifetimeMs as number
  const refresh = refreshMs as number
  if (!(lifetime > 0 && lifetime <= MAX_LIFETIME_MS && refresh >= 0 && refresh <= lifetime)) return undefined
  return { accessToken, lifetimeMs: lifetime, refreshMs: refresh }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
