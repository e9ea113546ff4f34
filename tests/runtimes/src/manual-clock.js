// A clock that moves only when told to, so the refresh point and expiry are reached without waiting.
// Written here rather than taken from the testkit: the testkit is Node-only and this runs in every runtime.
export function manualClock(start = 1_700_000_000_000) {
  let now = start
  let nextId = 1
  const timers = new Map()
  return {
    now: () => now,
    setTimeout(callback, ms) {
      const id = nextId++
      timers.set(id, { at: now + Math.max(0, ms), callback })
      return id
    },
    clearTimeout(id) {
      timers.delete(id)
    },
    // Runs timers in due order; each gets a turn of the microtask queue so the provider can react.
    async advance(ms) {
      const target = now + ms
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
    },
  }
}
