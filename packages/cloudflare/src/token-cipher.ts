import { M3terAuthError } from '@m3ter-auth/core'

/**
 * An encryption key as `encryptionKey` (or the `M3TER_TOKEN_ENCRYPTION_KEY` secret) takes it: 32 bytes,
 * as base64 or base64url text (`openssl rand -base64 32`), a Uint8Array, or a ready AES-GCM CryptoKey. The
 * same forms as @m3ter-auth/redis takes, so one key serves both.
 *
 * @example
 * ```ts
 * const key: EncryptionKeyInput = env.M3TER_TOKEN_ENCRYPTION_KEY // base64 of 32 random bytes
 * ```
 */
export type EncryptionKeyInput = string | Uint8Array | CryptoKey

/**
 * Seals and opens short strings (a token and its times) with AES-256-GCM and a fresh 96-bit IV. `context`
 * (the store key) is bound as additional data, so a value copied under another key does not open. Sealed
 * text: `base64(iv).base64(ciphertext + tag)`, as in @m3ter-auth/redis.
 */
export interface TokenCipher {
  seal(plaintext: string, context: string): Promise<string>
  /** Undefined when the value does not open: another key, another context, tampered with or malformed. */
  open(sealed: string, context: string): Promise<string | undefined>
}

const encoder = new TextEncoder()

/**
 * A cipher for the broker's storage, through Web Crypto only, so it runs in workerd and everywhere else.
 * A key of the wrong size is refused at once with `invalid_options`, in a message that never shows it.
 *
 * @example
 * ```ts
 * const cipher = createTokenCipher(env.M3TER_TOKEN_ENCRYPTION_KEY)
 * const sealed = await cipher.seal(JSON.stringify(token), storeKey)
 * ```
 */
export function createTokenCipher(input: EncryptionKeyInput): TokenCipher {
  const key = importKey(input)
  return {
    async seal(plaintext, context) {
      const iv = crypto.getRandomValues(new Uint8Array(12))
      const params = { name: 'AES-GCM', iv, additionalData: encoder.encode(context) }
      const sealed = await crypto.subtle.encrypt(params, await key, encoder.encode(plaintext))
      return `${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`
    },
    async open(sealed, context) {
      const parts = sealed.split('.')
      const [iv, data] = parts.map(fromBase64)
      if (parts.length !== 2 || !iv || !data || iv.byteLength !== 12) return undefined
      try {
        const params = { name: 'AES-GCM', iv, additionalData: encoder.encode(context) }
        return new TextDecoder().decode(await crypto.subtle.decrypt(params, await key, data))
      } catch {
        return undefined
      }
    },
  }
}

function importKey(input: EncryptionKeyInput): Promise<CryptoKey> {
  if (typeof CryptoKey !== 'undefined' && input instanceof CryptoKey) return Promise.resolve(input)
  const bytes =
    typeof input === 'string' ? fromBase64(input) : input instanceof Uint8Array ? input : undefined
  if (bytes?.byteLength !== 32)
    throw new M3terAuthError(
      'invalid_options',
      'M3terTokenBroker: encryptionKey must be 32 bytes (a Uint8Array, base64 of 32 bytes, or an AES-GCM CryptoKey)',
    )
  // A copy: the caller's array may be reused or zeroed later.
  return crypto.subtle.importKey('raw', new Uint8Array(bytes), 'AES-GCM', false, ['encrypt', 'decrypt'])
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
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return bytes
  } catch {
    return undefined
  }
}
