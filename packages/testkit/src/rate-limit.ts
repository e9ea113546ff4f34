/**
 * m3ter's per-organisation limit: 50 requests a second (config API and ingest counted apart), then 429.
 * `true` turns it on with m3ter's numbers.
 *
 * @example
 * ```ts
 * const m3ter = await startMockM3ter({ clock, rateLimit: { retryAfter: 1 } })
 * ```
 */
export type RateLimitOption =
  | boolean
  | {
      /** Requests admitted per second of the mock's clock. Default 50, as m3ter. */
      readonly requestsPerSecond?: number
      /** Retry-After of a 429 (seconds or an HTTP-date). Default: none, as m3ter documents none. */
      readonly retryAfter?: string | number
    }

/**
 * One sliding one-second window per bucket, on the mock's clock.
 *
 * @example
 * ```ts
 * if (state.rateLimiter && !state.rateLimiter.admit(origin === 'ingest' ? 'ingest' : 'config')) ex.error(429, 'Too many requests')
 * ```
 */
export interface RateLimiter {
  /** Admits the request (true) or refuses it (false); refused requests do not use up the window. */
  admit(bucket: string): boolean
  readonly retryAfter: string | undefined
  /** Forgets every window (the mock's `reset()`). */
  clear(): void
}

const WINDOW_MS = 1000

/**
 * The limiter for the `rateLimit` option, on the mock's clock; `undefined` when the option is off.
 *
 * @example
 * ```ts
 * const rateLimiter = createRateLimiter(options.rateLimit, () => clock.now()) // undefined when off
 * ```
 */
export function createRateLimiter(
  option: RateLimitOption | undefined,
  now: () => number,
): RateLimiter | undefined {
  if (!option) return undefined
  const settings = option === true ? {} : option
  const limit = settings.requestsPerSecond ?? 50
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error('rateLimit.requestsPerSecond must be an integer >= 1')
  const windows = new Map<string, number[]>()
  return {
    retryAfter: settings.retryAfter === undefined ? undefined : String(settings.retryAfter),
    clear: () => windows.clear(),
    admit(bucket) {
      const at = now()
      const recent = (windows.get(bucket) ?? []).filter((time) => time > at - WINDOW_MS)
      const admitted = recent.length < limit
      if (admitted) recent.push(at)
      windows.set(bucket, recent)
      return admitted
    },
  }
}
