import { DEFAULT_RETRY, type RetryPolicy } from './backoff-policy.ts'
import { M3terAuthError } from './errors.ts'
import { chooseLogger, eventLogger } from './logger.ts'
import { DEFAULT_REFRESH, type RefreshPolicy } from './refresh-policy.ts'
import { createScopePolicy, DEFAULT_SCOPE } from './scope-policy.ts'
import { systemClock } from './system-clock.ts'
import type { Clock, M3terAuthEvent, TokenProviderOptions, TokenStore } from './types.ts'
import { parseSecureUrl } from './urls.ts'

/**
 * @example
 * ```ts
 * createTokenProvider({ tokenUrl: DEFAULT_TOKEN_URL })
 * ```
 */
export const DEFAULT_TOKEN_URL = 'https://api.m3ter.com/oauth/token'
/**
 * @example
 * ```ts
 * createTokenProvider({ timeoutMs: DEFAULT_TIMEOUT_MS * 2 })
 * ```
 */
export const DEFAULT_TIMEOUT_MS = 10_000

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
 * resolveOptions({ tokenUrl: 'http://127.0.0.1:4000/oauth/token' }).tokenUrl
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
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const refresh = { ...DEFAULT_REFRESH, ...options.refresh }
  const retry = { ...DEFAULT_RETRY, ...options.retry }
  // Every number option is a non-negative number; a few have tighter bounds.
  for (const [name, value] of Object.entries({ ...refresh, ...retry, timeoutMs })) {
    if (typeof value !== 'number' || !(value >= 0)) invalid(`${name} must be a number >= 0`)
  }
  if (refresh.fraction > 0.9 || refresh.jitter > 1)
    invalid('refresh.fraction must be <= 0.9 and refresh.jitter <= 1')
  if (retry.maxAttempts < 1 || timeoutMs < 1) invalid('retry.maxAttempts and timeoutMs must be >= 1')
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
    clock,
    random: options.random ?? Math.random,
    // Called through globalThis so runtimes that check `this` (workerd, browsers) accept it.
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    store,
    onEvent: options.onEvent,
    log: logger && eventLogger(logger),
    timeoutMs,
    refresh,
    retry,
    bodyEncoding: encoding,
  }
}

const isFunction = (value: unknown) => typeof value === 'function'

/** Throws `invalid_options` for a mistake in the options of createTokenProvider. */
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
