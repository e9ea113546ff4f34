import { utf8ToBase64 } from './base64.ts'
import type { Credentials } from './credentials.ts'

/**
 * What `fetch` needs to ask for a token. Holds the Basic header: never log it.
 *
 * @example
 * ```ts
 * const { url, init } = buildTokenRequest(tokenUrl, credentials, 'json')
 * await fetch(url, init)
 * ```
 */
export interface TokenRequest {
  readonly url: string
  readonly init: {
    readonly method: 'POST'
    readonly headers: Record<string, string>
    readonly body: string
    readonly redirect: 'manual'
  }
}

/**
 * Builds the Client Credentials request m3ter expects: Basic base64(UTF-8 `key:secret`), body
 * `{"grant_type":"client_credentials"}` (or form encoded). Redirects are not followed: a token endpoint
 * that redirects would carry the Basic credentials somewhere else.
 *
 * @example
 * ```ts
 * const { url, init } = buildTokenRequest('https://api.m3ter.com/oauth/token', { accessKeyId, apiSecret }, 'json')
 * const res = await fetch(url, init)
 * ```
 */
export function buildTokenRequest(
  tokenUrl: string,
  credentials: Credentials,
  encoding: 'json' | 'form',
): TokenRequest {
  const form = encoding === 'form'
  return {
    url: tokenUrl,
    init: {
      method: 'POST',
      headers: {
        authorization: `Basic ${utf8ToBase64(`${credentials.accessKeyId}:${credentials.apiSecret}`)}`,
        'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
        accept: 'application/json',
      },
      body: form ? 'grant_type=client_credentials' : '{"grant_type":"client_credentials"}',
      redirect: 'manual',
    },
  }
}

/**
 * The token request as error messages name it: method, origin and path. Never the query, where a secret
 * pasted into the URL would be printed back.
 *
 * @param tokenUrl - an absolute URL (options validation has checked it); anything else throws a TypeError
 * @example
 * ```ts
 * describeTokenRequest('https://api.m3ter.com/oauth/token?debug=1') // 'POST https://api.m3ter.com/oauth/token'
 * ```
 */
export function describeTokenRequest(tokenUrl: string): string {
  const { origin, pathname } = new URL(tokenUrl)
  return `POST ${origin}${pathname}`
}
