import { DEFAULT_RETRY, type RetryPolicy } from './backoff-policy.ts'
import type { Clock } from './clock.ts'
import type { CredentialsSource } from './credentials.ts'
import { environmentDefaults } from './environment.ts'
import { M3terAuthError } from './errors.ts'
import type { M3terAuthEvent } from './events.ts'
import type { Logger } from './logger.ts'
import { chooseLogger, eventLogger } from './logger.ts'
import type { RefreshOptions, RetryOptions } from './policy-options.ts'
import { DEFAULT_REFRESH, type RefreshPolicy } from './refresh-policy.ts'
import { noticeOutOfScope } from './scope-notice.ts'
import { createScopePolicy, DEFAULT_SCOPE } from './scope-policy.ts'
import { systemClock } from './system-clock.ts'
import { boundedClock, MAX_TIMER_MS } from './timer-limit.ts'
import type { TokenStore } from './token-store.ts'
import { parseSecureUrl } from './urls.ts'

export type { RefreshOptions, RetryOptions } from './policy-options.ts'

/**
 * m3ter's token endpoint: the `tokenUrl` used when neither the option nor `M3TER_BASE_URL` names another.
 *
 * @example
 * ```ts
 * // A staging setup that may point at another endpoint, and otherwise talks to m3ter.
 * createTokenProvider({ tokenUrl: process.env.M3TER_TOKEN_URL ?? DEFAULT_TOKEN_URL })
 * ```
 */
export const DEFAULT_TOKEN_URL = 'https://api.m3ter.com/oauth/token'
/**
 * The default bound of one token request attempt, in ms (`timeoutMs`).
 *
 * @example
 * ```ts
 * // A slow satellite link: give each attempt three times the usual time.
 * createTokenProvider({ timeoutMs: DEFAULT_TIMEOUT_MS * 3 })
 * ```
 */
export const DEFAULT_TIMEOUT_MS = 10_000
/**
 * The default longest wait of one caller for a token, in ms (`maxWaitMs`).
 *
 * @example
 * ```ts
 * // A nightly batch job that would rather wait a minute for a token than fail.
 * createTokenProvider({ maxWaitMs: DEFAULT_MAX_WAIT_MS * 6 })
 * ```
 */
export const DEFAULT_MAX_WAIT_MS = 10_000

/**
 * Options of {@link createTokenProvider}. Every one has a safe default: `createTokenProvider()` with
 * `M3TER_API_KEY` and `M3TER_API_SECRET` in the environment is a complete production setup. Values are
 * checked when the provider is created; a mistake throws `invalid_options` or `insecure_url` there.
 *
 * @example
 * ```ts
 * import { createTokenProvider } from '@m3ter-auth/core'
 *
 * const auth = createTokenProvider({
 *   credentials: { accessKeyId: process.env.M3TER_API_KEY!, apiSecret: process.env.M3TER_API_SECRET! },
 *   timeoutMs: 5_000, // a token request that takes longer is retried
 *   onEvent: (e) => { if (e.type === 'credentials_rejected') alert('m3ter rejected the access key') },
 * })
 * ```
 */
export interface TokenProviderOptions {
  /** Default: `M3TER_API_KEY` / `M3TER_API_SECRET` from `process.env`, read at the first token request. */
  readonly credentials?: CredentialsSource
  /**
   * Default `$M3TER_BASE_URL/oauth/token` when `M3TER_BASE_URL` is set, else `https://api.m3ter.com/oauth/token`.
   * Plain http only to loopback (a local mock).
   */
  readonly tokenUrl?: string
  /**
   * The origins whose requests get the bearer; any other URL, a redirect target included, gets nothing.
   * Default `['https://api.m3ter.com', 'https://ingest.m3ter.com']`; with `M3TER_BASE_URL` set, that origin and
   * its ingest origin (`api.` → `ingest.`, or `M3TER_INGEST_URL`). A request to an m3ter host outside the
   * scope gets no bearer (m3ter answers 403 "Missing bearer token"); the debug log says so once per origin.
   */
  readonly scope?: readonly string[]
  /** Where all time comes from. Default {@link systemClock}; tests pass a manual one. */
  readonly clock?: Clock
  /** In [0, 1), for jitter. Default `Math.random`. */
  readonly random?: () => number
  /** The fetch token requests go through (a proxy's, an instrumented one). Default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch
  /** Where tokens are kept: share one between processes to fetch one token per fleet. Default: memory. */
  readonly store?: TokenStore
  /** Observability: one event per decision, with timings and generations, never a secret or a token. */
  readonly onEvent?: (event: M3terAuthEvent) => void
  /**
   * A debug log: one line per decision, derived from the events (so it carries no secret and no token).
   * Default: none, or `console` when `M3TER_AUTH_DEBUG=1` is in the environment.
   */
  readonly logger?: Logger
  /** Bound of one token request attempt in ms, connection to last byte. Default 10 000. */
  readonly timeoutMs?: number
  /**
   * The longest any caller of `getToken()` (and so any request through an adapter) waits for a token, in
   * ms. Past it the caller gets an `M3terAuthError` with code `timeout` saying what was going on (a token
   * request in progress, a backoff), while the token request goes on for later callers. A caller's own
   * `signal` may end its wait sooner. Default 10 000.
   *
   * @example
   * ```ts
   * // An HTTP handler with a 3 s budget: never spend more than 2 s of it waiting for a token.
   * const auth = createTokenProvider({ maxWaitMs: 2_000 })
   * try {
   *   await m3terFetch(`https://api.m3ter.com/organizations/${orgId}/meters`)
   * } catch (error) {
   *   if (isM3terAuthError(error) && error.code === 'timeout') return reply(503, error.message)
   *   throw error
   * }
   * ```
   */
  readonly maxWaitMs?: number
  readonly refresh?: RefreshOptions
  readonly retry?: RetryOptions
  /** How the token request's body is encoded. Default `'json'`; m3ter also accepts `'form'`. */
  readonly bodyEncoding?: 'json' | 'form'
  /**
   * Lets the provider run in a browser page, where the API secret would ship to every visitor. Only for
   * an internal tool whose users may all see the key.
   */
  readonly dangerouslyAllowBrowser?: boolean
}

/** Options with every default filled in and every value checked. */
export interface ResolvedOptions {
  readonly tokenUrl: string
  readonly inScope: (url: string | URL) => boolean
  readonly clock: Clock
  readonly random: () => number
  readonly fetch: typeof globalThis.fetch
  readonly store: TokenStore | undefined
  readonly onEvent: ((event: M3terAuthEvent) => void) | undefined
  /** The debug log as an event listener, when there is a logger. */
  readonly log: ((event: M3terAuthEvent) => void) | undefined
  readonly timeoutMs: number
  readonly maxWaitMs: number
  readonly refresh: RefreshPolicy
  readonly retry: RetryPolicy
  readonly bodyEncoding: 'json' | 'form'
}

/**
 * Checks options once, at construction, so mistakes surface where they are made with `invalid_options`
 * or `insecure_url`, and fills in defaults.
 *
 * @example
 * ```ts
 * resolveOptions({ tokenUrl: 'http://127.0.0.1:4000/oauth/token' }).tokenUrl // a loopback mock: accepted
 * resolveOptions({ tokenUrl: 'http://api.m3ter.com/oauth/token' }) // throws insecure_url
 * ```
 */
export function resolveOptions(options: TokenProviderOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) invalid('options must be an object')
  refuseBrowser(options.dangerouslyAllowBrowser === true)
  if (typeof (options.fetch ?? globalThis.fetch) !== 'function')
    invalid('no fetch on this runtime; pass options.fetch')
  const clock = options.clock ?? systemClock
  if (![clock.now, clock.setTimeout, clock.clearTimeout].every(isFunction)) {
    invalid('clock needs now(), setTimeout() and clearTimeout()')
  }
  const store = options.store
  if (store && ![store.get, store.set, store.delete].every(isFunction))
    invalid('store needs get(), set() and delete()')
  const logger = chooseLogger(options.logger)
  if (logger && !['debug', 'info', 'warn', 'error'].every((level) => isFunction(logger[level as 'info'])))
    invalid('logger needs debug(), info(), warn() and error()')
  const encoding = options.bodyEncoding ?? 'json'
  if (encoding !== 'json' && encoding !== 'form') invalid("bodyEncoding must be 'json' or 'form'")
  if (store?.timeoutMs !== undefined) duration('store.timeoutMs', store.timeoutMs, 1)
  // M3TER_BASE_URL / M3TER_INGEST_URL, as m3ter's SDKs and our CLI read them: only defaults come from
  // them; explicit options win.
  const explicit = options.tokenUrl !== undefined && options.scope !== undefined
  const environment = explicit ? { tokenUrl: undefined, scope: undefined } : environmentDefaults()
  const scope = options.scope ?? environment.scope ?? DEFAULT_SCOPE
  return {
    tokenUrl: parseSecureUrl(options.tokenUrl ?? environment.tokenUrl ?? DEFAULT_TOKEN_URL, 'tokenUrl').href,
    inScope: noticeOutOfScope(createScopePolicy(scope), scope, logger),
    // Every timer any part of core arms goes through this clock, and so is never beyond 2^31-1 ms.
    clock: boundedClock(clock),
    random: options.random ?? Math.random,
    // Called through globalThis so runtimes that check `this` (workerd, browsers) accept it.
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    store,
    onEvent: options.onEvent,
    log: logger && eventLogger(logger),
    timeoutMs: duration('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1),
    maxWaitMs: duration('maxWaitMs', options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS, 1),
    refresh: refreshPolicy(options.refresh),
    retry: retryPolicy(options.retry),
    bodyEncoding: encoding,
  }
}

// Every number of a group, defaults filled in: finite, and those in ms (named …Ms) durations >= 0, clamped.
function numbers<T extends object>(group: string, defaults: T, given: Partial<T> = {}): T {
  const checked: Record<string, number> = {}
  for (const key of Object.keys(defaults) as Array<keyof T & string>) {
    const name = `${group}.${key}`
    const value = given[key] ?? defaults[key]
    checked[key] = key.endsWith('Ms') ? duration(name, value, 0) : finite(name, value)
  }
  return checked as T
}

function refreshPolicy(given: RefreshOptions | undefined): RefreshPolicy {
  const refresh = numbers('refresh', DEFAULT_REFRESH, given)
  ratio('refresh.fraction', refresh.fraction, 0.9)
  ratio('refresh.jitter', refresh.jitter, 1)
  return refresh
}

function retryPolicy(given: RetryOptions | undefined): RetryPolicy {
  const retry = numbers('retry', DEFAULT_RETRY, given)
  if (retry.maxAttempts < 1) invalid('retry.maxAttempts must be >= 1')
  return retry
}

// A number the provider can compute with: Infinity and NaN would turn into timers that fire at once or
// attempts that time out at once. Only numbers are echoed in the message (any other value might be a
// secret pasted into the wrong field).
function finite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    invalid(`${name} must be a finite number, got ${typeof value === 'number' ? value : typeof value}`)
  return value
}

// A time option in ms: finite, at least `min`, and clamped to the longest delay a timer can be armed with.
function duration(name: string, value: unknown, min: number): number {
  const ms = finite(name, value)
  if (ms < min) invalid(`${name} must be >= ${min} ms, got ${ms}`)
  return Math.min(ms, MAX_TIMER_MS)
}

function ratio(name: string, share: number, max: number): void {
  if (share < 0 || share > max) invalid(`${name} must be between 0 and ${max}, got ${share}`)
}

const isFunction = (value: unknown) => typeof value === 'function'

/**
 * Throws `invalid_options` for a mistake in the options of createTokenProvider.
 *
 * @example
 * ```ts
 * if (typeof options.random !== 'function') invalid('random must be a function')
 * ```
 */
export function invalid(what: string): never {
  throw new M3terAuthError('invalid_options', `createTokenProvider: ${what}`)
}

// In a page the API secret would ship to every visitor: refuse unless the caller says they know.
function refuseBrowser(allowed: boolean): void {
  const g = globalThis as { window?: unknown; document?: unknown }
  if (!allowed && g.window !== undefined && g.document !== undefined) {
    invalid(
      'refused in a browser page, where the API secret would reach every visitor; pass dangerouslyAllowBrowser: true to override',
    )
  }
}
