/**
 * All the time a provider sees: wall time for token expiry, monotonic time for its own deadlines
 * (backoffs, cooldowns), and timers. Nothing in core reads the real time except through a clock, so a test
 * that passes one it controls decides when a token expires and when a retry fires, without sleeping.
 * The default is {@link systemClock}.
 *
 * @example
 * ```ts
 * import { createTokenProvider } from '@m3ter-auth/core'
 * import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'
 *
 * // In a test: the mock and the provider share a clock that moves only when told to.
 * const clock = createManualClock()
 * const m3ter = await startMockM3ter({ clock })
 * const auth = createTokenProvider({ clock, tokenUrl: m3ter.tokenUrl, scope: [m3ter.apiUrl], credentials: m3ter.keys[0]! })
 * await auth.getToken()
 * await clock.advance(5 * 60 * 60 * 1000) // five hours later, in no time
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
  /** Runs `callback` after `ms` of monotonic time; the handle is only ever given back to `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}
