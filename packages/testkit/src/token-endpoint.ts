import { parseBasicAuth, parseGrantType } from './basic-auth.ts'
import type { Exchange } from './exchange.ts'
import { issueToken, type MockState } from './state.ts'

/**
 * The token endpoint's path, as on api.m3ter.com.
 *
 * @example
 * ```ts
 * const tokenUrl = `${api.origin}${TOKEN_PATH}` // on the API origin, as on m3ter
 * ```
 */
export const TOKEN_PATH = '/oauth/token'

/**
 * Key under which token requests without usable Basic auth are counted.
 *
 * @example
 * ```ts
 * expect(m3ter.stats.tokenRequestsByKey[NO_KEY]).toBe(1) // one token request without a Basic header
 * ```
 */
export const NO_KEY = '(none)'

/**
 * Which key a token request presented, for the per-key counter (even when the key is unknown).
 *
 * @example
 * ```ts
 * const keyId = isToken ? presentedKeyId(ex) : ''
 * ```
 */
export function presentedKeyId(ex: Exchange): string {
  return parseBasicAuth(ex.req.headers.authorization)?.accessKeyId ?? NO_KEY
}

/**
 * `POST /oauth/token`: Basic auth against the key ring, then the grant type, then a signed JWT.
 *
 * @example
 * ```ts
 * return isToken ? handleToken(ex, state) : ex.error(404, `No route for ${ex.url.pathname}`)
 * ```
 */
export async function handleToken(ex: Exchange, state: MockState): Promise<void> {
  if (ex.req.method !== 'POST') return ex.error(405, `${ex.req.method} is not allowed on ${TOKEN_PATH}`)
  const presented = parseBasicAuth(ex.req.headers.authorization)
  const id = presented?.accessKeyId ?? ''
  const key = presented && (state.keys.find(id) ?? state.otherKeys.get(id)?.key)
  if (!presented || !key || key.apiSecret !== presented.apiSecret || !key.active)
    return ex.error(401, 'Bad credentials')
  const grant = parseGrantType(ex.body, ex.req.headers['content-type'])
  if (grant === undefined) return ex.error(400, 'grant_type is required')
  if (grant !== 'client_credentials') return ex.error(400, `Unsupported grant_type: ${grant}`)
  const token = issueToken(state, key.accessKeyId)
  ex.json(
    200,
    { token_type: 'Bearer', access_token: token, expires_in: state.lifetimeSeconds },
    {
      'cache-control': 'no-store',
    },
  )
}
