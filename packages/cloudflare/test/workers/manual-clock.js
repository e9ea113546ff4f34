// A clock for code inside workerd that moves only when the test says so. Workers cannot share the test's
// clock object, so each request carries the test's time in `x-test-now` and the Worker catches up to it,
// running its due timers in order. Kept here rather than taken from the testkit, which is Node-only.
export function manualClock() {
  let now = 0
  let nextId = 1
  const timers = new Map()
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
    async advanceTo(target) {
      if (!(target > now)) return
      for (;;) {
        const due = [...timers].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0]
        if (!due) break
        timers.delete(due[0])
        now = due[1].at
        try {
          due[1].callback()
        } catch {}
        await Promise.resolve()
      }
      now = target
    },
    /** Catches up with the time a request from the test carries. */
    follow: (request) => clock.advanceTo(Number(request.headers.get('x-test-now'))),
  }
  return clock
}
