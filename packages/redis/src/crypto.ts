// Web Crypto only (globalThis.crypto): the same code runs on Node, Deno, Bun and workerd. Sealing tokens
// is core's (the Cloudflare broker seals the same way): see createTokenCipher in @m3ter-auth/core/internals.
const encoder = new TextEncoder()

import type { EncryptionKeyInput } from '@m3ter-auth/core/internals'

export type { EncryptionKeyInput }

/**
 * Hex SHA-256 of a UTF-8 string.
 *
 * @example
 * ```ts
 * await sha256Hex('m3ter-auth:v1:https://api.m3ter.com/oauth/token:KEY') // 64 hex digits
 * ```
 */
export async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', encoder.encode(value)))
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

/** Fewer distinct byte values than this in 32 bytes is no random key (32 random bytes show about 30). */
const MIN_DISTINCT_BYTES = 16

/**
 * True when `input` is 32 bytes (or their base64) with so few distinct values that it cannot be a random
 * key: all zero, one byte repeated, a short pattern. A CryptoKey cannot be looked into, and input of the
 * wrong size is left to the cipher, which refuses it.
 *
 * @example
 * ```ts
 * if (isWeakKey(options.encryptionKey)) throw new M3terAuthError('invalid_options', 'encryptionKey is not random')
 * ```
 */
export function isWeakKey(input: EncryptionKeyInput): boolean {
  const bytes =
    typeof input === 'string' ? fromBase64(input) : input instanceof Uint8Array ? input : undefined
  return bytes?.byteLength === 32 && new Set(bytes).size < MIN_DISTINCT_BYTES
}

function fromBase64(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
    return Uint8Array.from(binary, (c) => c.charCodeAt(0))
  } catch {
    return undefined
  }
}
