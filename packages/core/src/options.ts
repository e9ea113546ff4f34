import { DEFAULT_RETRY, type RetryPolicy } from './backoff-policy.ts'
import { M3terAuthError } from './errors.ts'
import { DEFAULT_REFRESH, type RefreshPolicy } from './refresh-policy.ts'
import { createScopePolicy, DEFAULT_SCOPE } from './scope-policy.ts'
import { systemClock } from './system-clock.ts'
import type { Clock, M3terAuthEvent, TokenProviderOptions, TokenStore } from './types.ts'
import { parseSecureUrl } from './urls.ts'

export const DEFAULT_TOKEN_URL = 'https://api.m3ter.com/oauth/token'
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
  if (typeof options !== 'object' || options === null) {
    throw new M3terAuthError('invalid_options', 'createTokenProvider: options must be an object')
  }
  refuseBrowser(options.dangerouslyAllowBrowser === true)
  if (typeof (options.fetch ?? globalThis.fetch) !== 'function') {
    throw new M3terAuthError('invalid_options', 'createTokenProvider: no fetch; pass options.fetch on this runtime')
  }
  const clock = options.clock ?? systemClock
  if (typeof clock.now !== 'function' || typeof clock.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') {
    throw new M3terAuthError('invalid_options', 'createTokenProvider: clock needs now(), setTimeout() and clearTimeout()')
  }
  if (options.bodyEncoding !== undefined && options.bodyEncoding !== 'json' && options.bodyEncoding !== 'form') {
    throw new M3terAuthError('invalid_options', "createTokenProvider: bodyEncoding must be 'json' or 'form'")
  }
  const store = options.store
  if (store !== undefined && (typeof store.get !== 'function' || typeof store.set !== 'function' || typeof store.delete !== 'function')) {
    throw new M3terAuthError('invalid_options', 'createTokenProvider: store needs get(), set() and delete()')
  }
  const refresh = { ...DEFAULT_REFRESH, ...options.refresh }
  const retry = { ...DEFAULT_RETRY, ...options.retry }
  number('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1)
  number('refresh.fraction', refresh.fraction, 0, 0.9)
  number('refresh.minWindowMs', refresh.minWindowMs, 0)
  number('refresh.maxWindowMs', refresh.maxWindowMs, refresh.minWindowMs)
  number('refresh.jitter', refresh.jitter, 0, 1)
  number('refresh.skewMs', refresh.skewMs, 0)
  number('retry.maxAttempts', retry.maxAttempts, 1)
  number('retry.baseDelayMs', retry.baseDelayMs, 0)
  number('retry.maxDelayMs', retry.maxDelayMs, 0)
  number('retry.maxElapsedMs', retry.maxElapsedMs, 0)
  number('retry.invalidCredentialsCooldownMs', retry.invalidCredentialsCooldownMs, 0)
  return {
    tokenUrl: parseSecureUrl(options.tokenUrl ?? DEFAULT_TOKEN_URL, 'tokenUrl').href,
    inScope: createScopePolicy(options.scope ?? DEFAULT_SCOPE),
    clock,
    random: options.random ?? Math.random,
    // Called through globalThis so runtimes that check `this` (workerd, browsers) accept it.
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    store,
    onEvent: options.onEvent,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    refresh,
    retry,
    bodyEncoding: options.bodyEncoding ?? 'json',
  }
}

function number(name: string, value: unknown, min: number, max = Number.POSITIVE_INFINITY): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    throw new M3terAuthError(
      'invalid_options',
      `createTokenProvider: ${name} must be a number ${max === Number.POSITIVE_INFINITY ? `>= ${min}` : `in [${min}, ${max}]`}`,
    )
  }
}

// In a page the API secret would ship to every visitor: refuse unless the caller says they know.
function refuseBrowser(allowed: boolean): void {
  const g = globalThis as { window?: unknown; document?: unknown }
  if (!allowed && typeof g.window !== 'undefined' && typeof g.document !== 'undefined') {
    throw new M3terAuthError(
      'invalid_options',
      'createTokenProvider: refusing to run in a browser page, where the API secret would reach every visitor; use a server, or pass dangerouslyAllowBrowser: true',
    )
  }
}
