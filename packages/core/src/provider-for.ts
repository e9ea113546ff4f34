import { POOL_ROUTE, type Routable, type Routed } from './pool-route.ts'
import type { TokenPool } from './token-pool.ts'
import type { TokenProvider } from './token-provider.ts'

export { POOL_ROUTE, type Routed } from './pool-route.ts'

/**
 * The provider one request uses. A provider is its own answer. A pool (`createTokenPool`) answers with the
 * member of the organisation in the URL (`/organizations/{orgId}/…`), created on first use; with
 * `undefined` for a request it does not authorize: out of scope, the token endpoint, an own `Basic`, no
 * organisation in the path, or one its `credentialsFor` does not know (those last two are reported as a
 * `request_unrouted` event). Every adapter calls this once per request, then works with the answer alone,
 * so the request policy it applies is that member's.
 *
 * @param auth - a provider or a pool, as the adapter was given
 * @param url - the request's URL
 * @param authorization - the request's own Authorization header, if any
 *
 * @example
 * ```ts
 * const member = await providerFor(auth, url, headers.get('authorization'))
 * if (!member || !shouldAuthorize(member, url, headers.get('authorization'))) return send(request)
 * headers.set('authorization', bearerHeader(await member.getToken()))
 * ```
 */
export function providerFor(
  auth: TokenProvider | TokenPool,
  url: string | URL,
  authorization?: unknown,
): Routed {
  const route = (auth as Routable)[POOL_ROUTE]
  return route ? route(url, authorization) : (auth as TokenProvider)
}
