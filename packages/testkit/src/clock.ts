import type { Clock } from '@m3ter-auth/core'

/**
 * A timer handle of the manual clock; `unref` exists so code written for Node timers can call it.
 *
 * @example
 * ```ts
 * const timer = clock.setTimeout(() => refresh(), 60_000).unref()
 * expect(timer.due).toBe(clock.monotonic() + 60_000)
 * ```
 */
export interface ManualTimer {
  readonly id: number
  readonly due: number
  unref(): ManualTimer
  ref(): ManualTimer
}

/**
 * A {@link Clock} that only moves when told to, so hours of token lifetime pass in milliseconds and tests
 * never sleep. Share one between the mock server and the provider under test.
 *
 * @example
 * ```ts
 * const clock: ManualClock = createManualClock()
 * clock.stepWall(-60_000) // an NTP correction: now() moves back, monotonic() and the timers do not
 * await clock.advance(5 * 60 * 60 * 1000) // every timer due in the next five hours runs, in order
 * ```
 */
export interface ManualClock extends Clock {
  /** Monotonic time: moved by `advance`, never by `stepWall`. Timers run on it. */
  monotonic(): number
  setTimeout(callback: () => void, ms: number): ManualTimer
  /**
   * Moves time forward by `ms`, running every timer that falls due in order of due time. Between timers
   * (and at the end) pending promise callbacks run, so a chain started by one timer can schedule the next.
   */
  advance(ms: number): Promise<void>
  /** Moves time forward to the absolute wall instant `at` (no-op when it is in the past). */
  advanceTo(at: number): Promise<void>
  /**
   * Steps the wall clock (`now()`) by `ms`, either way, as an NTP correction or an operator would: monotonic
   * time and the timers are left alone. Until the first step, wall and monotonic time are the same numbers.
   */
  stepWall(ms: number): void
  /** How many timers are scheduled and not yet run or cleared. */
  pending(): number
  /** Due wall time of the next timer, or undefined when none is pending. */
  nextDue(): number | undefined
}

interface Entry {
  readonly timer: ManualTimer
  readonly seq: number
  readonly callback: () => void
}

// A macrotask turn drains every queued microtask and lets ready socket I/O run, which a fixed number of
// `await Promise.resolve()` cannot promise for long promise chains.
const settle = (): Promise<void> =>
  new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve)
    else setTimeout(resolve, 0)
  })

/**
 * Creates a manual clock starting at `startMs` (default 2026-01-01T00:00:00Z).
 *
 * @example
 * ```ts
 * const clock = createManualClock()
 * const m3ter = await startMockM3ter({ clock })
 * const auth = createTokenProvider({ clock, tokenUrl: m3ter.tokenUrl, scope: [m3ter.apiUrl], credentials })
 * await clock.advance(5 * 60 * 60 * 1000) // five hours later, in no time
 * ```
 */
export function createManualClock(startMs: number = Date.UTC(2026, 0, 1)): ManualClock {
  // `now` is monotonic; the wall clock is it plus `wall`, which only stepWall changes.
  let now = startMs
  let wall = 0
  let seq = 0
  const timers = new Map<number, Entry>()

  const nextEntry = (limit: number): Entry | undefined => {
    let best: Entry | undefined
    for (const entry of timers.values()) {
      if (entry.timer.due > limit) continue
      if (
        !best ||
        entry.timer.due < best.timer.due ||
        (entry.timer.due === best.timer.due && entry.seq < best.seq)
      )
        best = entry
    }
    return best
  }

  const advanceTo = async (target: number): Promise<void> => {
    await settle()
    for (;;) {
      const entry = nextEntry(target)
      if (!entry) break
      timers.delete(entry.timer.id)
      if (entry.timer.due > now) now = entry.timer.due
      entry.callback()
      await settle()
    }
    if (target > now) now = target
    await settle()
  }

  return {
    now: () => now + wall,
    monotonic: () => now,
    stepWall(ms) {
      wall += ms
    },
    setTimeout(callback, ms) {
      const id = ++seq
      // NaN, negative and missing delays behave as zero, as they do for the global setTimeout.
      const delay = Number.isFinite(ms) && ms > 0 ? ms : 0
      const timer: ManualTimer = {
        id,
        due: now + delay,
        unref: () => timer,
        ref: () => timer,
      }
      timers.set(id, { timer, seq: id, callback })
      return timer
    },
    clearTimeout(handle) {
      if (handle && typeof handle === 'object' && 'id' in handle) timers.delete((handle as ManualTimer).id)
    },
    advance: (ms) => advanceTo(now + Math.max(0, ms)),
    advanceTo: (at) => advanceTo(at - wall),
    pending: () => timers.size,
    nextDue() {
      let due: number | undefined
      for (const entry of timers.values())
        if (due === undefined || entry.timer.due < due) due = entry.timer.due
      return due === undefined ? due : due + wall
    },
  }
}
