import { M3terAuthError } from './errors.ts'

/**
 * True for hosts that never leave the machine: 127.0.0.0/8, ::1 and localhost. Plain http is allowed
 * only to these, so tests can run against a loopback mock while production traffic stays on https.
 *
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.1') // true
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  return /^(localhost|.+\.localhost|\[::1\]|::1|127(\.\d{1,3}){3})$/.test(hostname)
}

/**
 * True when a URL may carry a credential: https anywhere, http only to a loopback host.
 *
 * @example
 * ```ts
 * isSecureUrl(new URL('http://api.m3ter.com')) // false
 * ```
 */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))
}

/**
 * Parses a configured URL; refuses plain http outside loopback with `insecure_url`, and user info.
 *
 * @example
 * ```ts
 * parseSecureUrl('https://api.m3ter.com/oauth/token', 'tokenUrl')
 * ```
 */
export function parseSecureUrl(value: string, name: string): URL {
  const fail = (code: 'invalid_options' | 'insecure_url', what: string): never => {
    throw new M3terAuthError(code, `createTokenProvider: ${name} ${what}`)
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    // Not echoed: a secret pasted here by mistake would be printed back.
    return fail('invalid_options', 'is not a URL')
  }
  if (url.username || url.password) fail('invalid_options', 'must not carry credentials')
  if (!isSecureUrl(url)) fail('insecure_url', `${url.origin} is not https (plain http only to loopback)`)
  return url
}
