import type { M3terAuthError, M3terAuthErrorCode } from './errors.ts'

/**
 * One m3ter Service User access key: the id and the API secret shown once at its creation.
 *
 * @example
 * ```ts
 * const credentials: Credentials = { accessKeyId: process.env.M3TER_API_KEY!, apiSecret: process.env.M3TER_API_SECRET! }
 * ```
 */
export interface Credentials {
  readonly accessKeyId: string
  readonly apiSecret: string
}

/**
 * Where credentials come from: one key, the two keys m3ter allows at once (`[primary, secondary]`: when the
 * token endpoint rejects one, the other is tried), or a function asked at each token request (a secret
 * manager, say).
 *
 * @example
 * ```ts
 * createTokenProvider({ credentials: [currentKey, nextKey] }) // rotation: the other key is tried when one is rejected
 * ```
 */
export type CredentialsSource =
  | Credentials
  | readonly [Credentials, Credentials]
  | (() => Credentials | Promise<Credentials>)

/**
 * All time the provider sees. Tests inject a fake one; nothing in core reads the real time otherwise.
 * The timers are taken to run on monotonic time, as the global ones do.
 *
 * @example
 * ```ts
 * const clock: Clock = { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as never) }
 * ```
 */
export interface Clock {
  /** Wall time in ms since the epoch: token expiry is measured in it. */
  now(): number
  /**
   * Monotonic ms from any origin, for local deadlines (backoffs, cooldowns) that a step of the wall clock
   * must not stretch or cut. Optional: without it `now()` serves.
   */
  monotonic?(): number
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/**
 * A token as the provider keeps it and a {@link TokenStore} shares it. Times are clock milliseconds (the
 * provider's `clock`), so every member of a fleet must read the same kind of clock (wall time by default).
 *
 * @example
 * ```ts
 * const token = await store.get(key)
 * if (token && Date.now() < token.refreshAt) use(token.accessToken)
 * ```
 */
export interface StoredToken {
  readonly accessToken: string
  /** When the token request started: the lifetime is counted from here, not from when the answer came. */
  readonly obtainedAt: number
  /** After this instant the token is never served (the safety skew already taken off). A shared store
   * may forget the token then (a TTL ending here). */
  readonly expiresAt: number
  /** From this instant a demand starts a refresh; a token past it is not taken from a store. */
  readonly refreshAt: number
}

/**
 * The right to fetch the token for the whole fleet, granted by {@link TokenStore.lease}. It ends when
 * released or when its time-to-live runs out (so a holder that dies is replaced).
 *
 * @example
 * ```ts
 * const lease = await store.lease?.(key, 10_000)
 * try { await fetchAndStore(key) } finally { await lease?.release() }
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
 * Where tokens are kept between processes. The default keeps them in memory. A shared store (Redis)
 * lets a fleet fetch one token for all; `lease` lets one process fetch while the others wait for it.
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
 * const store: TokenStore = {
 *   async get(key) { return cache.get(key) },
 *   async set(key, token) { cache.set(key, token) },
 *   async delete(key, accessToken) { if (!accessToken || cache.get(key)?.accessToken === accessToken) cache.delete(key) },
 * }
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

/**
 * When to refresh: a fraction of the lifetime, clamped, jittered; and the skew taken off the expiry.
 *
 * @example
 * ```ts
 * createTokenProvider({ refresh: { fraction: 0.2, minWindowMs: 60_000 } })
 * ```
 */
export interface RefreshOptions {
  /** Fraction of the lifetime before expiry when refreshing starts. Default 0.1. */
  readonly fraction?: number
  /** Lower clamp of the refresh window in ms. Default 30 000. */
  readonly minWindowMs?: number
  /** Upper clamp of the refresh window in ms. Default 600 000. */
  readonly maxWindowMs?: number
  /** Up to this fraction of the window is added at random so a fleet does not refresh in lockstep. Default 0.25. */
  readonly jitter?: number
  /** Taken off the expiry to absorb clock skew and request time. Default 10 000. */
  readonly skewMs?: number
}

/**
 * How the token endpoint is retried after 429, 5xx, network errors and timeouts.
 *
 * @example
 * ```ts
 * createTokenProvider({ retry: { maxAttempts: 6, maxDelayMs: 10_000 } })
 * ```
 */
export interface RetryOptions {
  /**
   * Attempts in one round of fetching, the first included. Default 4. After a round gives up, callers fail
   * fast until a cooldown passes, and each later round is one attempt until a token arrives.
   */
  readonly maxAttempts?: number
  /** First backoff ceiling in ms; doubles each attempt (full jitter). Default 200. */
  readonly baseDelayMs?: number
  /** Largest single wait in ms, Retry-After and the cooldown after a give-up included. Default 30 000. */
  readonly maxDelayMs?: number
  /** A round of attempts stops once this much time has passed. Default 60 000. */
  readonly maxElapsedMs?: number
  /** How long rejected credentials fail fast before the endpoint is asked again. Default 60 000. */
  readonly invalidCredentialsCooldownMs?: number
}

/**
 * Options of {@link createTokenProvider}; every one has a safe default.
 *
 * @example
 * ```ts
 * createTokenProvider({ tokenUrl: m3ter.tokenUrl, scope: [m3ter.apiUrl, m3ter.ingestUrl], timeoutMs: 5_000 })
 * ```
 */
export interface TokenProviderOptions {
  /** Default: `M3TER_API_KEY` / `M3TER_API_SECRET` from `process.env`, read at first use. */
  readonly credentials?: CredentialsSource
  /** Default `https://api.m3ter.com/oauth/token`. Plain http only on loopback. */
  readonly tokenUrl?: string
  /** Origins that receive the bearer. Default `['https://api.m3ter.com', 'https://ingest.m3ter.com']`. */
  readonly scope?: readonly string[]
  readonly clock?: Clock
  /** In [0, 1), for jitter. Default `Math.random`. */
  readonly random?: () => number
  readonly fetch?: typeof globalThis.fetch
  readonly store?: TokenStore
  /** Observability. Events carry timings and generations, never a secret or a token. */
  readonly onEvent?: (event: M3terAuthEvent) => void
  /**
   * A debug log: one line per decision, derived from the events (so it carries no secret and no token).
   * Default: none, or `console` when `M3TER_AUTH_DEBUG=1` is in the environment.
   */
  readonly logger?: Logger
  /** Per token request attempt. Default 10 000. */
  readonly timeoutMs?: number
  readonly refresh?: RefreshOptions
  readonly retry?: RetryOptions
  /** Token request body encoding. Default `'json'`; m3ter also accepts `'form'`. */
  readonly bodyEncoding?: 'json' | 'form'
  /** Needed to run in a browser page, where the API secret would ship to every visitor. */
  readonly dangerouslyAllowBrowser?: boolean
}

/**
 * What {@link TokenProvider.snapshot} shows: no secret, no token.
 *
 * @example
 * ```ts
 * const { status, expiresAt, generation } = auth.snapshot()
 * ```
 */
export interface TokenSnapshot {
  readonly status: TokenStatus
  /** Clock ms after which the current token is never served; undefined without a token. */
  readonly expiresAt: number | undefined
  /** Increases with every token obtained; 0 before the first. */
  readonly generation: number
  /**
   * How many `getToken` calls were answered without waiting. Counted rather than emitted so that the hot
   * path stays free; callers that waited are reported one by one by the `token_waited` event.
   */
  readonly servedAtOnce?: number
}

/**
 * @example
 * ```ts
 * if (auth.snapshot().status === 'backoff') metrics.increment('m3ter.token.backoff')
 * ```
 */
export type TokenStatus = 'empty' | 'fetching' | 'fresh' | 'refreshing' | 'backoff' | 'failed' | 'closed'

/**
 * Passed to `getToken`.
 *
 * @example
 * ```ts
 * await auth.getToken({ signal: AbortSignal.timeout(2_000), waitUntil: (work) => ctx.waitUntil(work) })
 * ```
 */
export interface GetTokenOptions {
  /** Ends this caller's wait with code `aborted`; the shared token request goes on for the others. */
  readonly signal?: AbortSignal | undefined
  /**
   * Given the token request this call starts, if it starts one. On runtimes that end a request's pending
   * work when it answers (Cloudflare Workers), pass `ctx.waitUntil` so a background refresh survives.
   */
  readonly waitUntil?: ((work: Promise<unknown>) => void) | undefined
}

/**
 * The token provider: one per Service User, shared by every adapter and request.
 *
 * @example
 * ```ts
 * const auth = createTokenProvider({ credentials: { accessKeyId, apiSecret } })
 * const res = await fetch(url, { headers: { Authorization: `Bearer ${await auth.getToken()}` } })
 * ```
 */
export interface TokenProvider {
  /** A valid access token; single-flight; never an expired one. */
  getToken(options?: GetTokenOptions): Promise<string>
  /** `'Bearer …'` when the URL's origin is in scope (and the URL secure), else undefined. */
  authorize(url: string | URL, options?: GetTokenOptions): Promise<string | undefined>
  /** True when the URL's origin is in scope: the adapters' test before they ask for a token. */
  inScope(url: string | URL): boolean
  /** The server rejected this token: drop it, if it is still the current one. Returns whether it was. */
  invalidate(token: string): boolean
  /** Replace the credentials (key rotation). The current token keeps being served until replaced. */
  setCredentials(next: CredentialsSource): void
  snapshot(): TokenSnapshot
  /**
   * Calls `listener` with every event from now on, as `onEvent` would; returns the unsubscribe function.
   * A listener that throws is ignored, never breaks authentication.
   */
  subscribe(listener: (event: M3terAuthEvent) => void): () => void
  /** Ends everything scheduled and rejects waiters; later calls fail. */
  close(): Promise<void>
  /** `await using auth = createTokenProvider()` closes the provider at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>
}

// Declared here, as in lib.esnext.disposable, so that the types need neither that lib nor @types/node
// (a Workers project with lib ["es2022", "dom"]); identical declarations merge.
declare global {
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol
  }
}

/**
 * Why a token request started.
 *
 * @example
 * ```ts
 * onEvent: (e) => { if (e.type === 'fetch_started' && e.reason === 'expired') log.warn('a caller waited') }
 * ```
 */
export type RefreshReason =
  | 'cold'
  | 'refresh_window'
  | 'expired'
  | 'invalidated'
  | 'retry'
  | 'credentials_changed'

/**
 * Events through `onEvent`. None carries a secret or a token value.
 *
 * @example
 * ```ts
 * createTokenProvider({ onEvent: (e) => { if (e.type === 'refresh_failed') log.warn(e.code, e.status, e.retryInMs) } })
 * ```
 */
export type M3terAuthEvent =
  | {
      readonly type: 'fetch_started'
      readonly reason: RefreshReason
      readonly attempt: number
      /** 0 for the primary key, 1 for the secondary. */
      readonly keyIndex?: number
      readonly at: number
    }
  | {
      readonly type: 'token_fetched'
      readonly generation: number
      readonly durationMs: number
      readonly expiresAt: number
      readonly refreshAt: number
      readonly attempt: number
      /** `'endpoint'`: the token endpoint answered; `'store'`: another process's token from the shared store. */
      readonly source?: 'endpoint' | 'store'
      readonly at: number
    }
  | {
      readonly type: 'refresh_failed'
      readonly code: M3terAuthErrorCode
      /** The token endpoint's HTTP status, when it answered. */
      readonly status: number | undefined
      readonly attempt: number
      /** Delay before the next attempt; undefined when this round has given up. */
      readonly retryInMs: number | undefined
      readonly at: number
    }
  | {
      readonly type: 'served_stale'
      readonly generation: number
      readonly expiresAt: number
      readonly at: number
    }
  | { readonly type: 'token_invalidated'; readonly generation: number; readonly at: number }
  | {
      readonly type: 'credentials_rejected'
      readonly status: number | undefined
      /** 0 for the primary key, 1 for the secondary. */
      readonly keyIndex: number
      readonly cooldownUntil: number
      readonly at: number
    }
  | { readonly type: 'credentials_changed'; readonly at: number }
  /** `invalidate(token)` for a token that is no longer current: an earlier rejection already dropped it. */
  | { readonly type: 'invalidate_ignored'; readonly generation: number; readonly at: number }
  /** A `getToken` caller that had to wait (the hot path is counted in `snapshot().servedAtOnce` instead). */
  | {
      readonly type: 'token_waited'
      readonly waitedMs: number
      /** `'token'`, or the error code the wait ended with (`aborted` for the caller's own signal). */
      readonly outcome: 'token' | M3terAuthErrorCode
      readonly at: number
    }
  | {
      /**
       * The shared store failed or did not answer within its budget; the provider went on without it
       * (`get`, `lease`: it fetched for itself; `set`, `delete`, `release`: the write is lost, and a lease
       * runs out by itself). `wait`: another member held the lease for its whole lifetime without
       * storing a token, so this one fetched for itself.
       */
      readonly type: 'store_failed'
      readonly operation: 'get' | 'set' | 'delete' | 'lease' | 'release' | 'wait'
      readonly reason: 'error' | 'timeout'
      readonly at: number
    }

/**
 * Anything with `debug`, `info`, `warn` and `error`: `console`, pino, winston, bunyan.
 *
 * @example
 * ```ts
 * createTokenProvider({ logger: console })
 * createTokenProvider({ logger: pino({ level: 'debug' }) })
 * ```
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

export type { M3terAuthError }
