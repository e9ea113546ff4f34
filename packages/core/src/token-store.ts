/**
 * A token as the provider keeps it and a {@link TokenStore} shares it. Times are the provider's clock
 * milliseconds (wall time by default), so every member of a fleet must read the same kind of clock.
 *
 * @example
 * ```ts
 * // A store that keeps tokens in a shared cache only as long as each one is valid.
 * async set(key: string, token: StoredToken) {
 *   await cache.set(key, JSON.stringify(token), { expiresAt: token.expiresAt })
 * }
 * ```
 */
export interface StoredToken {
  readonly accessToken: string
  /** When the token request started: the lifetime is counted from here, not from when the answer came. */
  readonly obtainedAt: number
  /**
   * After this instant the token is never served (the safety skew already taken off). A shared store
   * may forget the token then (a TTL ending here).
   */
  readonly expiresAt: number
  /** From this instant a demand starts a refresh; a token past it is not taken from a store. */
  readonly refreshAt: number
}

/**
 * The right to fetch the token for the whole fleet, granted by {@link TokenStore.lease}. It ends when
 * released or when its time-to-live runs out, so a holder that dies is replaced.
 *
 * @example
 * ```ts
 * // A lease on a key-value store with compare-and-delete: only the holder's random value releases it.
 * async lease(key: string, ttlMs: number): Promise<TokenLease | undefined> {
 *   const holder = crypto.randomUUID()
 *   if (!(await kv.setIfAbsent(`${key}:lease`, holder, ttlMs))) return undefined
 *   return { release: () => kv.deleteIfEquals(`${key}:lease`, holder) }
 * }
 * ```
 */
export interface TokenLease {
  /**
   * Gives the lease up, only if it is still this holder's (compare-and-delete on a random value): a
   * lease that expired and went to another member is left alone. The provider calls it only after the
   * token it fetched under the lease has been written.
   */
  release(): Promise<void>
}

/**
 * Where tokens are kept between processes. The default keeps them in memory ({@link createMemoryStore}).
 * A shared store (`@m3ter-auth/redis`) lets a fleet fetch one token for all; `lease` lets one process fetch
 * while the others wait for it.
 *
 * What each outcome means to the provider (every call is raced against a budget, {@link TokenStore.timeoutMs}):
 * - a call that rejects, or does not settle in time, means "the store failed": the provider goes on
 *   without it for this attempt (it fetches for itself), emits a `store_failed` event, and tries the store
 *   again at the next attempt. No caller ever sees a store error.
 * - `get` resolving `undefined` means "no usable token here": absent, expired, or a value the store could
 *   not read (corrupt, another format version, another encryption key). A store swallows those and never
 *   throws them.
 * - `lease` resolving a {@link TokenLease} means "you fetch for everyone"; resolving `undefined` means
 *   "another member holds the lease": the provider polls `get` for its token (every 100 ms of its clock),
 *   retrying the lease, until the lease lifetime has passed. Only a store that really saw another holder
 *   may answer `undefined`; a failure must reject.
 *
 * A store must not queue commands while it cannot reach its server and send them later: a lease or a
 * write replayed after a reconnect would block the fleet or bring back a revoked token. Fail at once.
 *
 * @example
 * ```ts
 * import { createTokenProvider, type StoredToken, type TokenStore } from '@m3ter-auth/core'
 *
 * // The processes of one host share tokens through a cache they all reach.
 * const read = async (key: string): Promise<StoredToken | undefined> => {
 *   const text = await cache.get(key) // a failure rejects: the provider goes on without the store
 *   try {
 *     return text ? (JSON.parse(text) as StoredToken) : undefined
 *   } catch {
 *     return undefined // unreadable is "no usable token here", never an error
 *   }
 * }
 * const store: TokenStore = {
 *   get: read,
 *   async set(key, token) {
 *     await cache.set(key, JSON.stringify(token), { expiresAt: token.expiresAt })
 *   },
 *   async delete(key, accessToken) {
 *     if (accessToken === undefined || (await read(key))?.accessToken === accessToken) await cache.delete(key)
 *   },
 * }
 * const auth = createTokenProvider({ store })
 * ```
 */
export interface TokenStore {
  /** The token stored under `key`, or undefined when there is none the store can read. */
  get(key: string): Promise<StoredToken | undefined>
  /** Stores a token the provider fetched; a shared store lets it expire at `token.expiresAt`. */
  set(key: string, token: StoredToken): Promise<void>
  /** Compare-and-delete when `accessToken` is given: delete only if it is still the stored one. */
  delete(key: string, accessToken?: string): Promise<void>
  /**
   * Try to become the one fetcher for `key` for at most `ttlMs`: a lease when granted, `undefined` when
   * another member holds it; reject when the store failed (see the type's description).
   */
  lease?(key: string, ttlMs: number): Promise<TokenLease | undefined>
  /** How long the provider waits for one call before going on without the store, in ms. Default 1 000. */
  readonly timeoutMs?: number
}
