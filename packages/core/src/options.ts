import { DEFAULT_RETRY, type RetryPolicy } from './backoff-policy.ts'
import type { Clock } from './clock.ts'
import type { CredentialsSource } from './credentials.ts'
import { M3terAuthError } from './errors.ts'
import type { M3terAuthEvent } from './events.ts'
import type { Logger } from './logger.ts'
import { chooseLogger, eventLogger } from './logger.ts'
import { DEFAULT_REFRESH, type RefreshPolicy } from './refresh-policy.ts'
import { createScopePolicy, DEFAULT_SCOPE } from './scope-policy.ts'
import { systemClock } from './system-clock.ts'
import { boundedClock, MAX_TIMER_MS } from './timer-limit.ts'
import type { TokenStore } from './token-store.ts'
import { parseSecureUrl } from './urls.ts'

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
  /** Default `https://api.m3ter.com/oauth/token`. Plain http only to loopback (a local mock). */
  readonly tokenUrl?: string
  /**
   * The origins whose requests get the bearer; any other URL, a redirect target included, gets nothing.
   * Default `['https://api.m3ter.com', 'https://ingest.m3ter.com']`.
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

/**
 * When to refresh: a fraction of the token's lifetime before it expires, clamped to a window, plus a
 * random share so that the members of a fleet do not all refresh at once; and the skew taken off the
 * expiry. With m3ter's five-hour tokens the defaults start refreshing 10 to 12.5 minutes before the
 * (skewed) expiry: a tenth of the lifetime is 30 minutes, clamped to 10, widened at random by up to 25%.
 *
 * @example
 * ```ts
 * // Refresh earlier: a fifth of the lifetime, at least a minute ahead.
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
 * How the token endpoint is retried after 429, 5xx, network errors and timeouts: full-jitter exponential
 * backoff that honours `Retry-After`, bounded in attempts and in time. A rejected key (400/401/403) is not
 * retried; it fails fast for `invalidCredentialsCooldownMs`.
 *
 * @example
 * ```ts
 * // A batch job that would rather wait longer for a token than fail.
 * createTokenProvider({ retry: { maxAttempts: 8, maxElapsedMs: 5 * 60_000 } })
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
  /**
   * Largest backoff in ms, the cooldown after a give-up included. A server's Retry-After may be longer (see
   * `maxRetryAfterMs`). Default 30 000.
   */
  readonly maxDelayMs?: number
  /** A round of attempts stops once this much time has passed. Default 60 000. */
  readonly maxElapsedMs?: number
  /** How long rejected credentials fail fast before the endpoint is asked again. Default 60 000. */
  readonly invalidCredentialsCooldownMs?: number
  /**
   * The longest `Retry-After` honoured, in ms: the token endpoint is not asked again before the time it
   * named, up to this. Meanwhile a valid token is still served, and callers without one fail fast with the
   * error, which carries `retryAfterMs`. Default 3 600 000 (an hour).
   */
  readonly maxRetryAfterMs?: number
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
  // M3TER_BASE_URL, as m3ter's SDKs and our CLI read it: another API origin (a mock, a region) whose token
  // endpoint is at /oauth/token and which gets the bearer. Only defaults come from it; explicit options win.
  const base = (
    globalThis as { process?: { env?: Record<string, string | undefined> } }
  ).process?.env?.M3TER_BASE_URL?.replace(/\/+$/, '')
  return {
    tokenUrl: parseSecureUrl(
      options.tokenUrl ?? (base ? `${base}/oauth/token` : DEFAULT_TOKEN_URL),
      'tokenUrl',
    ).href,
    inScope: createScopePolicy(options.scope ?? (base ? [new URL(base).origin] : DEFAULT_SCOPE)),
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
