import { base64ToBytes, bytesToBase64 } from './base64.ts'
import { M3terAuthError } from './errors.ts'

// Web Crypto only (globalThis.crypto): the same code runs on Node, Deno, Bun and workerd.
const encoder = /* @__PURE__ */ new TextEncoder()
const IV_BYTES = 12

/**
 * An encryption key for tokens kept at rest: 32 bytes, as base64 or base64url text
 * (`openssl rand -base64 32`), a Uint8Array, or a ready AES-GCM CryptoKey. @m3ter-auth/redis and
 * @m3ter-auth/cloudflare take the same forms and seal the same way, so one key serves both.
 *
 * @example
 * ```ts
 * const key: EncryptionKeyInput = process.env.M3TER_TOKEN_KEY! // base64 of 32 random bytes
 * ```
 */
export type EncryptionKeyInput = string | Uint8Array | CryptoKey

/**
 * Seals and opens short strings (a token and its times) with AES-256-GCM and a fresh 96-bit IV. `context`
 * (the store's key for the value) is bound as additional data, so a value copied under another key does
 * not open. Sealed text: `base64(iv).base64(ciphertext + tag)`.
 *
 * @example
 * ```ts
 * const sealed = await cipher.seal(JSON.stringify(token), storeKey)
 * const json = await cipher.open(sealed, storeKey) // undefined if it does not open
 * ```
 */
export interface TokenCipher {
  seal(plaintext: string, context: string): Promise<string>
  /** Undefined when the value does not open: another key, another context, tampered with or malformed. */
  open(sealed: string, context: string): Promise<string | undefined>
}

/**
 * A {@link TokenCipher} for `input`, checked at once so that a mistake surfaces where the store or broker
 * is made, not at the first token: a key that is not 32 bytes is refused with `invalid_options`, in a
 * message that starts with `owner` and never shows the key. The key is imported once, in the background.
 *
 * @param owner - what took the key, as the message names it: `createRedisStore`, `M3terTokenBroker`
 * @example
 * ```ts
 * const cipher = createTokenCipher(options.encryptionKey, 'createMyStore')
 * await storage.put(storeKey, await cipher.seal(JSON.stringify(token), storeKey))
 * ```
 */
export function createTokenCipher(input: EncryptionKeyInput, owner: string): TokenCipher {
  const key = importKey(input, owner)
  return {
    async seal(plaintext, context) {
      const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES))
      const params = { name: 'AES-GCM', iv, additionalData: encoder.encode(context) }
      const sealed = await globalThis.crypto.subtle.encrypt(params, await key, encoder.encode(plaintext))
      return `${bytesToBase64(iv)}.${bytesToBase64(new Uint8Array(sealed))}`
    },
    async open(sealed, context) {
      const parts = sealed.split('.')
      const [iv, data] = parts.map(base64ToBytes)
      if (parts.length !== 2 || !iv || !data || iv.byteLength !== IV_BYTES) return undefined
      try {
        const params = { name: 'AES-GCM', iv, additionalData: encoder.encode(context) }
        return new TextDecoder().decode(await globalThis.crypto.subtle.decrypt(params, await key, data))
      } catch {
        return undefined
      }
    },
  }
}

function importKey(input: EncryptionKeyInput, owner: string): Promise<CryptoKey> {
  if (typeof CryptoKey !== 'undefined' && input instanceof CryptoKey) return Promise.resolve(input)
  const bytes =
    typeof input === 'string' ? base64ToBytes(input) : input instanceof Uint8Array ? input : undefined
  if (bytes?.byteLength !== 32)
    throw new M3terAuthError(
      'invalid_options',
      `${owner}: encryptionKey must be 32 bytes (a Uint8Array, base64 of 32 bytes, or an AES-GCM CryptoKey)`,
    )
  // A copy: the caller's array may be reused or zeroed later.
  const raw = new Uint8Array(bytes)
  return globalThis.crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
}
