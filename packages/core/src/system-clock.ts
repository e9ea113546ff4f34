import type { Clock } from './clock.ts'

/**
 * The real clock: Date.now for wall time, performance.now for durations (where it exists), and the global timers, unref'd where the runtime has unref so that a pending
 * refresh or backoff never keeps a Node process alive.
 *
 * @example
 * ```ts
 * createTokenProvider({ clock: systemClock })
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
