import type { Clock } from './clock.ts'

/**
 * The real clock, and the default: `Date.now` for wall time, `performance.now` for durations (where it
 * exists), and the global timers, unref'd where the runtime has unref so that a pending refresh or backoff
 * never keeps a Node process alive. Spread it to change one part and keep the rest.
 *
 * @example
 * ```ts
 * import { createTokenProvider, systemClock, type Clock } from '@m3ter-auth/core'
 *
 * // A fleet member whose wall clock is known to be off (measured against NTP) corrects it, so the tokens
 * // it shares through the store carry the same time as everyone else's.
 * const clock: Clock = { ...systemClock, now: () => Date.now() + ntpOffsetMs }
 * const auth = createTokenProvider({ clock, store })
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  // performance.now() never jumps when the wall clock is set; Date.now() is the fallback where it is missing.
  monotonic: () => (globalThis.performance ?? Date).now(),
  setTimeout(callback, ms) {
    const handle = globalThis.setTimeout(callback, ms) as unknown as { unref?: () => void }
    if (typeof handle === 'object' && handle !== null && typeof handle.unref === 'function') handle.unref()
    return handle
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0])
  },
}
