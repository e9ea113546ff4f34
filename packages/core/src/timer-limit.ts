import type { Clock } from './clock.ts'

/**
 * The longest delay a timer can be armed with: 2³¹−1 ms (about 24.8 days). Node, browsers and workerd
 * store the delay in a signed 32-bit integer and run a timer asked for longer after 1 ms, which would turn
 * a long backoff into a loop of token requests. Every time option is clamped to it, and so is every timer.
 *
 * @example
 * ```ts
 * clock.setTimeout(retry, Math.min(retryAfterMs, MAX_TIMER_MS))
 * ```
 */
export const MAX_TIMER_MS = 2_147_483_647

/**
 * A delay any runtime runs as asked: within [0, {@link MAX_TIMER_MS}]. A delay that is not finite means
 * "not for a long time", never "at once": Infinity and NaN both become the longest delay.
 *
 * @example
 * ```ts
 * timerDelay(Infinity) // 2_147_483_647
 * timerDelay(-5) // 0
 * ```
 */
export function timerDelay(ms: number): number {
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_TIMER_MS) : MAX_TIMER_MS
}

/**
 * The clock a provider uses: the given one, with every timer's delay passed through {@link timerDelay}.
 * The one place all of core's timers are armed, so no code path (a Retry-After, a grown cooldown, a custom
 * clock's own arithmetic) can arm a timer that fires at once.
 *
 * @example
 * ```ts
 * const clock = boundedClock(options.clock ?? systemClock)
 * clock.setTimeout(retry, Number.POSITIVE_INFINITY) // armed for 2³¹−1 ms, not 1 ms
 * ```
 */
export function boundedClock(clock: Clock): Clock {
  const bounded: Clock = {
    now: () => clock.now(),
    setTimeout: (callback, ms) => clock.setTimeout(callback, timerDelay(ms)),
    clearTimeout: (handle) => clock.clearTimeout(handle),
  }
  if (typeof clock.monotonic === 'function') bounded.monotonic = () => (clock.monotonic as () => number)()
  return bounded
}
