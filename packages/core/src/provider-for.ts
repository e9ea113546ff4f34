import type { TokenProvider } from './provider.ts'
import type { TokenPool } from './token-pool.ts'

/**
 * Where a pool keeps its router: a registered symbol, so that an adapter and a pool from two installed
 * copies of core still agree, and so that this file needs nothing from the pool's code (an application
 * that never creates a pool bundles none of it).
 *
 * @example
 * ```ts
 * const routed = typeof (auth as Routable)[POOL_ROUTE] === 'function'
 * ```
 */
export const POOL_ROUTE: unique symbol = Symbol.for('m3ter-auth.pool.route') as never

/**
 * What {@link providerFor} gives: the provider to use, `undefined` to send the request untouched, or a
 * promise of either while a pool creates the organisation's member.
 *
 * @example
 * ```ts
 * const member: TokenProvider | undefined = await providerFor(auth, url)
 * ```
 */
export type Routed = TokenProvider | undefined | Promise<TokenProvider | undefined>

/** A pool's routing function, as {@link POOL_ROUTE} holds it. */
interface Routable {
  readonly [POOL_ROUTE]?: (url: string | URL, authorization: unknown) => Routed
}

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
