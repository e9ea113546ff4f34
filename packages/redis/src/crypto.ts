// Web Crypto only (globalThis.crypto): the same code runs on Node, Deno, Bun and workerd. Sealing tokens
// is core's (the Cloudflare broker seals the same way): see createTokenCipher in @m3ter-auth/core/internals.
const encoder = new TextEncoder()

export type { EncryptionKeyInput } from '@m3ter-auth/core/internals'

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
