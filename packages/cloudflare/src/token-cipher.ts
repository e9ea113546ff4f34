import { M3terAuthError } from '@m3ter-auth/core'

/** A sealed value as kept in storage: AES-GCM with a fresh 96-bit IV, both base64. */
export interface Sealed {
  readonly alg: 'A256GCM'
  readonly iv: string
  readonly data: string
}

/**
 * Seals and opens short strings (a token and its times) with AES-GCM. `context` (the store key) is bound as
 * additional data, so a sealed value copied under another key does not open.
 */
export interface TokenCipher {
  seal(plaintext: string, context: string): Promise<Sealed>
  /** Undefined when the value does not open: another key, another context, or tampered with. */
  open(sealed: Sealed, context: string): Promise<string | undefined>
}

const MIN_SECRET_LENGTH = 16
const encoder = new TextEncoder()

/**
 * A cipher whose AES-256 key is derived from `secret` (a Worker secret) with HKDF-SHA-256, through Web
 * Crypto only, so it runs in workerd and everywhere else.
 *
 * @example
 * ```ts
 * const cipher = createTokenCipher(env.M3TER_TOKEN_ENCRYPTION_KEY)
 * const sealed = await cipher.seal(JSON.stringify(token), key)
 * ```
 */
export function createTokenCipher(secret: string): TokenCipher {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH)
    throw new M3terAuthError(
      'invalid_options',
      `M3terTokenBroker: encryptionKey must be a string of at least ${MIN_SECRET_LENGTH} characters`,
    )
  const key = deriveKey(secret)
  // A failed derivation surfaces at the first seal or open; this keeps it from being reported as unhandled.
  key.catch(() => {})
  return {
    async seal(plaintext, context) {
      const iv = crypto.getRandomValues(new Uint8Array(12))
      const data = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: encoder.encode(context) },
        await key,
        encoder.encode(plaintext),
      )
      return { alg: 'A256GCM', iv: toBase64(iv), data: toBase64(new Uint8Array(data)) }
    },
    async open(sealed, context) {
      try {
        const plain = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: fromBase64(sealed.iv), additionalData: encoder.encode(context) },
          await key,
          fromBase64(sealed.data),
        )
        return new TextDecoder().decode(plain)
      } catch {
        return undefined
      }
    },
  }
}

async function deriveKey(secret: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: encoder.encode('m3ter-auth token store'),
      info: encoder.encode('A256GCM v1'),
    },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  )
}

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** True for a value shaped like {@link Sealed}. */
export function isSealed(value: unknown): value is Sealed {
  if (typeof value !== 'object' || value === null) return false
  const { alg, iv, data } = value as Record<string, unknown>
  return alg === 'A256GCM' && typeof iv === 'string' && typeof data === 'string'
}
