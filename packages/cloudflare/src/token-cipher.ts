import {
  createTokenCipher as createCipher,
  type EncryptionKeyInput,
  type TokenCipher,
} from '@m3ter-auth/core/internals'

export type { EncryptionKeyInput, TokenCipher } from '@m3ter-auth/core/internals'

/**
 * A cipher for the broker's storage: AES-256-GCM through Web Crypto only, so it runs in workerd and
 * everywhere else, sealing exactly as @m3ter-auth/redis does (one key serves both). `encryptionKey` (or the
 * `M3TER_TOKEN_ENCRYPTION_KEY` secret) is 32 bytes as base64 or base64url text (`openssl rand -base64 32`),
 * a Uint8Array, or a ready AES-GCM CryptoKey; a key of the wrong size is refused at once with
 * `invalid_options`, in a message that never shows it.
 *
 * @example
 * ```ts
 * const cipher = createTokenCipher(env.M3TER_TOKEN_ENCRYPTION_KEY)
 * const sealed = await cipher.seal(JSON.stringify(token), storeKey)
 * const json = await cipher.open(sealed, storeKey) // undefined under another key or store key
 * ```
 */
export function createTokenCipher(input: EncryptionKeyInput): TokenCipher {
  return createCipher(input, 'M3terTokenBroker')
}
