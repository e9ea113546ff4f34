// btoa takes Latin-1 only, so a secret with any character above U+00FF must be turned into its UTF-8
// bytes first. m3ter decodes the Basic value as the raw UTF-8 bytes of `key:secret` (no percent-encoding).
const encoder = new TextEncoder()

/**
 * Base64 of the UTF-8 bytes of a string, with web-standard globals only (no Buffer).
 *
 * @example
 * ```ts
 * utf8ToBase64('key:sécret') // 'a2V5OnPDqWNyZXQ='
 * ```
 */
export function utf8ToBase64(text: string): string {
  const bytes = encoder.encode(text)
  let binary = ''
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i] as number)
  return btoa(binary)
}
