import type { StoredToken } from '@m3ter-auth/core'
import type { TokenCipher } from '@m3ter-auth/core/internals'

/**
 * The format version this package writes. A value with a higher one was written by a newer release: it
 * is ignored (and replaced by this one's next write), never misread.
 *
 * @example
 * ```ts
 * // A look at the fleet's stored token (its key from `redis-cli --scan --pattern 'm3ter-auth:*'`)
 * const { v } = JSON.parse((await redis.get(key)) ?? '{}')
 * if (v > VALUE_VERSION) console.warn('written by a newer @m3ter-auth/redis: this release ignores it')
 * ```
 */
export const VALUE_VERSION = 1

/**
 * Why a stored value was not used: `corrupt` (not a value of ours), `newer_version`, `wrong_key` (sealed
 * with another encryption key, or under another Redis key), `encrypted` (sealed, and this store has no
 * key), `not_encrypted` (in clear, and this store requires encryption).
 *
 * @example
 * ```ts
 * onEvent: (e) => {
 *   if (e.type === 'value_ignored' && e.reason === 'wrong_key') console.warn('M3TER_TOKEN_KEY differs across the fleet')
 * }
 * ```
 */
export type IgnoredReason = 'corrupt' | 'newer_version' | 'wrong_key' | 'encrypted' | 'not_encrypted'

/**
 * What a stored value turned out to be.
 *
 * @example
 * ```ts
 * const read = await decodeValue(raw, redisKey, cipher)
 * if ('token' in read) use(read.token)
 * ```
 */
export type Decoded = { readonly token: StoredToken } | { readonly ignored: IgnoredReason }

/**
 * The value stored for a token: `{"v":1,"token":{…}}`, or `{"v":1,"sealed":"…"}` with an encryption key
 * (the token JSON under AES-256-GCM, bound to the Redis key).
 *
 * @example
 * ```ts
 * await redis.set(redisKey, await encodeValue(token, redisKey, cipher), 'PX', ttl)
 * ```
 */
export async function encodeValue(
  token: StoredToken,
  context: string,
  cipher?: TokenCipher,
): Promise<string> {
  const { accessToken, obtainedAt, expiresAt, refreshAt } = token
  const plain = { accessToken, obtainedAt, expiresAt, refreshAt }
  return JSON.stringify(
    cipher
      ? { v: VALUE_VERSION, sealed: await cipher.seal(JSON.stringify(plain), context) }
      : { v: VALUE_VERSION, token: plain },
  )
}

/**
 * Reads a stored value; never throws: what cannot be used comes back as `{ ignored }`.
 *
 * @example
 * ```ts
 * await decodeValue('{"v":2}', redisKey) // { ignored: 'newer_version' }
 * ```
 */
export async function decodeValue(raw: string, context: string, cipher?: TokenCipher): Promise<Decoded> {
  const value = parse(raw)
  if (!isRecord(value) || !Number.isSafeInteger(value.v) || (value.v as number) < 1)
    return { ignored: 'corrupt' }
  if ((value.v as number) > VALUE_VERSION) return { ignored: 'newer_version' }
  if (typeof value.sealed === 'string') {
    if (!cipher) return { ignored: 'encrypted' }
    const opened = await cipher.open(value.sealed, context)
    if (opened === undefined) return { ignored: 'wrong_key' }
    return asToken(parse(opened))
  }
  if (cipher) return { ignored: 'not_encrypted' }
  return asToken(value.token)
}

function asToken(value: unknown): Decoded {
  if (!isRecord(value) || typeof value.accessToken !== 'string' || !value.accessToken)
    return { ignored: 'corrupt' }
  const { accessToken, obtainedAt, expiresAt, refreshAt } = value
  const times = [obtainedAt, expiresAt, refreshAt]
  if (!times.every((t) => typeof t === 'number' && Number.isFinite(t))) return { ignored: 'corrupt' }
  return {
    token: {
      accessToken,
      obtainedAt: obtainedAt as number,
      expiresAt: expiresAt as number,
      refreshAt: refreshAt as number,
    },
  }
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
