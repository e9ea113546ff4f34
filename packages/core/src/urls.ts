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
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true
  return /^127(\.\d{1,3}){3}$/.test(host)
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
 * Parses a configured URL and refuses plain http outside loopback with `insecure_url`.
 *
 * @example
 * ```ts
 * parseSecureUrl('https://api.m3ter.com/oauth/token', 'tokenUrl')
 * ```
 */
export function parseSecureUrl(value: string, optionName: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch (cause) {
    throw new M3terAuthError('invalid_options', `createTokenProvider: ${optionName} is not a URL: ${value}`, {
      cause,
    })
  }
  if (url.username || url.password) {
    throw new M3terAuthError(
      'invalid_options',
      `createTokenProvider: ${optionName} must not carry credentials in the URL (${url.origin})`,
    )
  }
  if (!isSecureUrl(url)) {
    throw new M3terAuthError(
      'insecure_url',
      `createTokenProvider: ${optionName} ${url.origin} is not https; plain http is allowed only to loopback hosts`,
    )
  }
  return url
}
