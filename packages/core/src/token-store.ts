/**
 * A token as the provider keeps it and a {@link TokenStore} shares it. Times are milliseconds of the
 * CALLER's clock (`clock.now()`, wall time by default): the provider that calls `set` gives them in its
 * own time base, and `get` must answer in the time base of the provider that reads. Clocks of different
 * machines differ (by minutes, on a bad day), so a store shared between machines never compares or hands
 * on another machine's absolute times: it keeps durations (see {@link TokenStore}). A value that breaks
 * the rules of `checkedStoredToken` (a header-unsafe token, a lifetime over the longest the endpoint may
 * give, an `obtainedAt` in the reader's future) is refused by the reader.
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
 * Keys: the provider files a token under `storeKeyOf(tokenUrl, credentials)`, bound to the API secret, so
 * members that share a store but not a secret (tenants) never share a token.
 *
 * Time (every member reads its own clock, and clocks of machines differ):
 * - times given to `set` and returned by `get` are in the CALLER's clock base (see {@link StoredToken});
 * - a store shared between machines keeps durations counted on its own clock (Redis: `PTTL`; the
 *   remaining lifetime, time to refresh, age) and rebuilds absolute times from the reader's clock when it
 *   reads (`expiresAt = reader.now() + remaining`): with members skewed by minutes, none then serves a
 *   token past its real expiry. A store inside one process may keep the times as given.
 *
 * Writes are fenced (what makes a stalled lease holder, or a write re-sent after a reconnect, harmless):
 * - `set` never replaces a stored token that expires later than the one written (compare and write in
 *   one step: a Lua script, a transaction), so an older token never overwrites a newer one;
 * - `delete(key, accessToken)` that removes the token leaves a tombstone for that token's remaining
 *   lifetime: a later `set` of the same `accessToken` (late, or replayed by a client's offline queue) is
 *   ignored, so a revoked token cannot come back.
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
  /**
   * Stores a token the provider fetched, unless the stored one expires later or `token.accessToken` was
   * deleted (tombstone); a shared store lets it expire at `token.expiresAt`.
   */
  set(key: string, token: StoredToken): Promise<void>
  /**
   * Compare-and-delete when `accessToken` is given: delete only if it is still the stored one, leaving a
   * tombstone for it (see the type's description).
   */
  delete(key: string, accessToken?: string): Promise<void>
  /**
   * Try to become the one fetcher for `key` for at most `ttlMs`: a lease when granted, `undefined` when
   * another member holds it; reject when the store failed (see the type's description).
   */
  lease?(key: string, ttlMs: number): Promise<TokenLease | undefined>
  /**
   * The time this store needs, in ms (default 1 000): the longest its store phase may take, a read AND a
   * lease one after the other, as the store knows it (not one call: a store whose calls take up to 600 ms
   * declares 1 200 or more, or members stop waiting for the lease and each asks the endpoint itself). A store
   * whose `get` itself waits while another member fetches (the Cloudflare broker) declares that wait, so that
   * a slow token endpoint still means one token request per fleet.
   *
   * The budget rule the provider applies:
   * - the store phase of an attempt AS A WHOLE (read, lease, read again) gets this budget once, counted
   *   from its start; when it is spent the member asks the endpoint itself (keeping the lease if it got
   *   one). However many calls it makes, a slow store thus costs an attempt no more than a dead one;
   * - a member that found another holder's lease waits for that holder's token at most as long as the
   *   holder's whole attempt may last (the lease's time-to-live: the provider's `timeoutMs` plus two of
   *   these budgets), each read within what is left, then fetches itself;
   * - `set`, `delete` and a lease's `release` come after the callers have their token, one budget each.
   */
  readonly timeoutMs?: number
}
