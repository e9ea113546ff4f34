// Web-standard globals only (btoa, atob, TextEncoder; no Buffer), so core runs unchanged on Node, Deno,
// Bun, browsers and workerd.
// Pure: an import of one helper of this file does not keep the encoder.
const encoder = /* @__PURE__ */ new TextEncoder()

/**
 * Base64 of the UTF-8 bytes of a string. btoa alone takes Latin-1 only, so a secret with any character
 * above U+00FF is turned into its UTF-8 bytes first; m3ter decodes the Basic value as the raw UTF-8 bytes
 * of `key:secret` (no percent-encoding).
 *
 * @example
 * ```ts
 * utf8ToBase64('key:sécret') // 'a2V5OnPDqWNyZXQ='
 * ```
 */
export function utf8ToBase64(text: string): string {
  return bytesToBase64(encoder.encode(text))
}

/**
 * Base64 (standard alphabet, padded) of bytes.
 *
 * @example
 * ```ts
 * bytesToBase64(new Uint8Array([0xfb, 0xff])) // '+/8='
 * ```
 */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i] as number)
  return btoa(binary)
}

/**
 * The bytes of base64 or base64url text (padding optional), or undefined when it is neither, so a caller
 * can refuse bad input with its own message (which must not quote the text when it is a key).
 *
 * @example
 * ```ts
 * base64ToBytes('-_8') // Uint8Array [0xfb, 0xff]
 * base64ToBytes('not base64!') // undefined
 * ```
 */
export function base64ToBytes(text: string | undefined): Uint8Array<ArrayBuffer> | undefined {
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
