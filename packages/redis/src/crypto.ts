import { M3terAuthError } from '@m3ter-auth/core'

// Web Crypto only (globalThis.crypto): the same code runs on Node, Deno, Bun and workerd.
const subtle = () => globalThis.crypto.subtle
const encoder = new TextEncoder()

/**
 * An encryption key in any of the forms {@link RedisStoreOptions.encryptionKey} accepts.
 *
 * @example
 * ```ts
 * const key: EncryptionKeyInput = process.env.M3TER_TOKEN_KEY! // base64 of 32 random bytes
 * ```
 */
export type EncryptionKeyInput = string | Uint8Array | CryptoKey

/**
 * Hex SHA-256 of a UTF-8 string.
 *
 * @example
 * ```ts
 * await sha256Hex('m3ter-auth:v1:https://api.m3ter.com/oauth/token:KEY') // 64 hex digits
 * ```
 */
export async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await subtle().digest('SHA-256', encoder.encode(value)))
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/**
 * `bytes` random bytes as hex: a lease's fencing value.
 *
 * @example
 * ```ts
 * randomHex(16) // 32 hex digits
 * ```
 */
export function randomHex(bytes: number): string {
  const random = globalThis.crypto.getRandomValues(new Uint8Array(bytes))
  return Array.from(random, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/**
 * Checks an encryption key at once (so a mistake surfaces in `createRedisStore`, not at the first token):
 * 32 bytes, base64 (or base64url) of 32 bytes, or a ready CryptoKey. Anything else is `invalid_options`,
 * with a message that never shows the key.
 *
 * @example
 * ```ts
 * const material = checkEncryptionKey(process.env.M3TER_TOKEN_KEY!)
 * ```
 */
export function checkEncryptionKey(input: EncryptionKeyInput): Uint8Array<ArrayBuffer> | CryptoKey {
  if (typeof CryptoKey !== 'undefined' && input instanceof CryptoKey) return input
  const bytes =
    typeof input === 'string' ? fromBase64(input) : input instanceof Uint8Array ? input : undefined
  if (bytes?.byteLength !== 32)
    throw new M3terAuthError(
      'invalid_options',
      'createRedisStore: encryptionKey must be 32 bytes (a Uint8Array, base64 of 32 bytes, or an AES-GCM CryptoKey)',
    )
  // A copy: the caller's array may be reused or zeroed later.
  return new Uint8Array(bytes)
}

/**
 * The AES-256-GCM CryptoKey for a checked key (see {@link checkEncryptionKey}).
 *
 * @example
 * ```ts
 * const key = await importEncryptionKey(checkEncryptionKey(crypto.getRandomValues(new Uint8Array(32))))
 * ```
 */
export async function importEncryptionKey(material: Uint8Array<ArrayBuffer> | CryptoKey): Promise<CryptoKey> {
  if (!(material instanceof Uint8Array)) return material
  return subtle().importKey('raw', material, 'AES-GCM', false, ['encrypt', 'decrypt'])
}

/**
 * AES-256-GCM with a fresh 96-bit IV; `context` (the Redis key) is bound as additional data, so a value
 * copied under another key does not decrypt. Output: `base64(iv).base64(ciphertext + tag)`.
 *
 * @example
 * ```ts
 * const sealed = await seal(key, JSON.stringify(token), redisKey)
 * ```
 */
export async function seal(key: CryptoKey, plaintext: string, context: string): Promise<string> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12))
  const params = { name: 'AES-GCM', iv, additionalData: encoder.encode(context) }
  const sealed = await subtle().encrypt(params, key, encoder.encode(plaintext))
  return `${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`
}

/**
 * The plaintext of {@link seal}'s output, or undefined when it does not decrypt (another key, another
 * context, tampered or malformed).
 *
 * @example
 * ```ts
 * const json = await open(key, sealed, redisKey)
 * ```
 */
export async function open(key: CryptoKey, sealed: string, context: string): Promise<string | undefined> {
  const [iv, data] = sealed.split('.').map(fromBase64)
  if (!iv || !data || iv.byteLength !== 12) return undefined
  try {
    const params = { name: 'AES-GCM', iv, additionalData: encoder.encode(context) }
    return new TextDecoder().decode(await subtle().decrypt(params, key, data))
  } catch {
    return undefined
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

function fromBase64(text: string | undefined): Uint8Array<ArrayBuffer> | undefined {
  if (text === undefined || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return undefined
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
    return Uint8Array.from(binary, (char) => char.charCodeAt(0))
  } catch {
    return undefined
  }
}
