// How a pool is told apart from a provider and asked for a request's member: the symbol and the routing
// function's shape. Below both the pool (which sets it) and providerFor (which reads it), so that neither
// imports the other.
import type { TokenProvider } from './token-provider.ts'

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
export interface Routable {
  readonly [POOL_ROUTE]?: (url: string | URL, authorization: unknown) => Routed
}
