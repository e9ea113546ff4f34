// The provider's contract: what a token provider offers and reports (its statuses, its snapshot). Shared
// vocabulary at the bottom of core's imports: the machine, the request policy and the adapters' resolution
// point name these types without importing the provider that implements them (provider.ts re-exports them).
import type { CredentialsSource } from './credentials.ts'
import type { M3terAuthEvent } from './events.ts'

/**
 * What {@link TokenProvider.snapshot} shows: the provider's state, no secret, no token. Cheap to read
 * (nothing is asked of the network), so a health check or a metrics scrape can call it every time.
 *
 * @example
 * ```ts
 * // A readiness probe: not ready while the provider has no token and cannot get one.
 * app.get('/ready', (_req, res) => {
 *   const { status, expiresAt } = auth.snapshot()
 *   res.status(status === 'failed' ? 503 : 200).json({ m3terToken: status, expiresAt })
 * })
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
 * Where the provider is, as {@link TokenProvider.snapshot} reports it:
 * - `empty`: no valid token and none asked for yet (or the last one expired or was dropped);
 * - `fetching`: a token request is in flight and callers wait for it;
 * - `fresh`: a valid token is served;
 * - `refreshing`: a valid token is served while its replacement is fetched;
 * - `backoff`: a token request failed; the next attempt waits for its backoff (a valid token, if there is
 *   one, is still served);
 * - `failed`: a round of attempts gave up and no valid token is left: callers get its error at once until
 *   a cooldown passes;
 * - `closed`: `close()` was called.
 *
 * @example
 * ```ts
 * setInterval(() => gauge.set({ status: auth.snapshot().status }, 1), 15_000).unref()
 * ```
 */
export type TokenStatus = 'empty' | 'fetching' | 'fresh' | 'refreshing' | 'backoff' | 'failed' | 'closed'

/**
 * Per-call options of {@link TokenProvider.getToken} and {@link TokenProvider.authorize}.
 *
 * @example
 * ```ts
 * // In a Cloudflare Worker: give up waiting after 2 s, and let a background refresh outlive the response.
 * const token = await auth.getToken({ signal: AbortSignal.timeout(2_000), waitUntil: (work) => ctx.waitUntil(work) })
 * ```
 */
export interface GetTokenOptions {
  /**
   * Ends this caller's wait with code `aborted`; the shared token request goes on for the others. Without
   * it the wait still ends after `maxWaitMs` (code `timeout`).
   */
  readonly signal?: AbortSignal | undefined
  /**
   * Given the token request this call starts, if it starts one. On runtimes that end a request's pending
   * work when it answers (Cloudflare Workers), pass `ctx.waitUntil` so a background refresh survives.
   */
  readonly waitUntil?: ((work: Promise<unknown>) => void) | undefined
}

/**
 * The token provider: one per Service User, created once and shared by every adapter and request of the
 * process. Most code hands it to an adapter (`withM3terAuth(auth)`, `attachM3terAuth(axios, auth)`) and
 * never calls it; calling it directly looks like this.
 *
 * @example
 * ```ts
 * import { createTokenProvider } from '@m3ter-auth/core'
 *
 * const auth = createTokenProvider()
 * const url = `https://api.m3ter.com/organizations/${orgId}/meters`
 * let token = await auth.getToken()
 * let res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } })
 * if (res.status === 401 || res.status === 403) {
 *   auth.invalidate(token) // drops it only if no one has replaced it yet
 *   token = await auth.getToken()
 *   res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } })
 * }
 * await auth.close() // at shutdown
 * ```
 */
export interface TokenProvider {
  /** A valid access token; single-flight; never an expired one; never waits longer than `maxWaitMs`. */
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
  /** Ends everything scheduled and rejects waiters with code `closed`; later calls fail with it too. */
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
