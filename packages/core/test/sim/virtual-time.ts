import type { Clock } from '../../src/clock.ts'

/**
 * Virtual time for the whole simulated world: one queue of timers on TRUE time, and per machine a clock
 * whose wall reading is true time plus that machine's skew and whose monotonic reading has its own origin.
 * Time moves only in `run`, from one timer to the next; between timers every promise callback runs (one
 * macrotask turn drains them, and the simulation does no real I/O), so a seed always replays the same.
 */
export interface VirtualTime {
  /** True time: what the endpoint issues and expires tokens by, and what invariants are judged in. */
  now(): number
  /** Runs `callback` at true time `at` (the world's own events: demands, faults, restarts). */
  at(at: number, callback: () => void): void
  /** A machine's clock: wall = true + `wallSkewMs`; monotonic from its own origin. */
  clockFor(wallSkewMs: number, monotonicOrigin: number): Clock & { monotonic(): number }
  /** Runs timers in order until true time `until` or until `stop()` says so. */
  run(until: number, stop?: () => boolean): Promise<void>
  /** Timers run so far: the steps of the simulation. */
  steps(): number
}

interface Timer {
  readonly due: number
  readonly seq: number
  readonly callback: () => void
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export function createVirtualTime(start: number): VirtualTime {
  let now = start
  let seq = 0
  let steps = 0
  const timers = new Map<number, Timer>()
  const add = (due: number, callback: () => void) => {
    const id = ++seq
    timers.set(id, { due: Math.max(due, now), seq: id, callback })
    return id
  }
  const earliest = (): [number, Timer] | undefined => {
    let best: [number, Timer] | undefined
    for (const entry of timers) {
      const [, timer] = entry
      if (!best || timer.due < best[1].due || (timer.due === best[1].due && timer.seq < best[1].seq))
        best = entry
    }
    return best
  }
  return {
    now: () => now,
    at: (at, callback) => void add(at, callback),
    clockFor: (wallSkewMs, monotonicOrigin) => ({
      now: () => now + wallSkewMs,
      monotonic: () => now - start + monotonicOrigin,
      setTimeout: (callback, ms) => ({ id: add(now + (Number.isFinite(ms) && ms > 0 ? ms : 0), callback) }),
      clearTimeout: (handle) => {
        if (handle && typeof handle === 'object') timers.delete((handle as { id: number }).id)
      },
    }),
    async run(until, stop) {
      await turn()
      for (;;) {
        if (stop?.()) return
        const next = earliest()
        if (!next || next[1].due > until) break
        timers.delete(next[0])
        now = next[1].due
        steps++
        next[1].callback()
        await turn()
      }
      now = Math.max(now, until)
    },
    steps: () => steps,
  }
}
