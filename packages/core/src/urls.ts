import { M3terAuthError } from './errors.ts'

/**
 * True for hosts that never leave the machine: 127.0.0.0/8, ::1 and localhost. Plain http is allowed
 * only to these, so tests can run against a loopback mock while production traffic stays on https.
 *
 * @example
 * ```ts
 * // The same rule for a URL of one's own configuration.
 * const url = new URL(process.env.M3TER_PROXY_URL!)
 * if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) throw new Error('the proxy must be https')
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
 * // An adapter sends no bearer over plain http, whatever the scope says.
 * if (!isSecureUrl(new URL(request.url))) return send(request)
 * ```
 */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))
}

/**
 * Parses a configured URL; refuses plain http outside loopback with `insecure_url`, and a URL carrying
 * user info or no URL at all with `invalid_options`. The value is never echoed in the message.
 *
 * @param value - the URL as configured
 * @param name - the option's name, for the message (`tokenUrl`, `scope entry`)
 *
 * @example
 * ```ts
 * const tokenUrl = parseSecureUrl(options.tokenUrl ?? DEFAULT_TOKEN_URL, 'tokenUrl')
 * parseSecureUrl('http://api.m3ter.com/oauth/token', 'tokenUrl') // throws insecure_url
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
