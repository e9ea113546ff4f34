// A clock that moves only when told to, so the refresh point and expiry are reached without waiting.
// Written here rather than taken from the testkit: the testkit is Node-only and this runs in every runtime
// (bundled into the runtime suite's scripts and into the Cloudflare package's Workers in workerd).
export function manualClock(start = 1_700_000_000_000) {
  let now = start
  let nextId = 1
  const timers = new Map()
  // Runs timers due by `target` in due order; each gets a turn of the microtask queue so the provider can
  // react.
  const runUntil = async (target) => {
    for (;;) {
      const due = [...timers].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0]
      if (!due) break
      timers.delete(due[0])
      now = due[1].at
      // A timer callback's failure is its own, as with real timers: it must not stop time for the caller.
      try {
        due[1].callback()
      } catch {}
      await Promise.resolve()
    }
    now = target
  }
  const clock = {
    now: () => now,
    setTimeout(callback, ms) {
      const id = nextId++
      timers.set(id, { at: now + Math.max(0, ms), callback })
      return id
    },
    clearTimeout(id) {
      timers.delete(id)
    },
    advance: (ms) => runUntil(now + ms),
    /** Moves to `target`, never back. */
    async advanceTo(target) {
      if (target > now) await runUntil(target)
    },
    /**
     * Catches up with the time a request from a test carries in `x-test-now`: Workers in workerd cannot
     * share the test's clock object, so each request brings the test's time.
     */
    follow: (request) => clock.advanceTo(Number(request.headers.get('x-test-now'))),
  }
  return clock
}
