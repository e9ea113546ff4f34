import { describe, expect, it } from 'vitest'
import { createManualClock } from './clock.ts'

describe('createManualClock', () => {
  it('starts at 2026-01-01 by default and only moves when advanced', async () => {
    const clock = createManualClock()
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1))
    await clock.advance(5 * 3600_000)
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1, 5))
  })

  it('runs due timers in due order, ties in scheduling order, each at its own time', async () => {
    const clock = createManualClock(0)
    const seen: string[] = []
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20)
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10)
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 20)
    clock.setTimeout(() => seen.push('late'), 31)
    await clock.advance(30)
    expect(seen).toEqual(['a@10', 'b@20', 'c@20'])
    expect(clock.now()).toBe(30)
    expect(clock.pending()).toBe(1)
    expect(clock.nextDue()).toBe(31)
  })

  it('lets promise chains started by one timer schedule and run the next within one advance', async () => {
    const clock = createManualClock(0)
    const seen: number[] = []
    const wait = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms))
    const chain = (async () => {
      for (let i = 0; i < 3; i++) {
        await wait(100)
        await Promise.resolve()
        seen.push(clock.now())
      }
    })()
    await clock.advance(1000)
    await chain
    expect(seen).toEqual([100, 200, 300])
  })

  it('clearTimeout cancels, pending counts, and odd delays behave as zero', async () => {
    const clock = createManualClock(0)
    let ran = 0
    const handle = clock.setTimeout(() => ran++, 50)
    clock.setTimeout(() => ran++, Number.NaN)
    clock.setTimeout(() => ran++, -5)
    expect(clock.pending()).toBe(3)
    clock.clearTimeout(handle)
    clock.clearTimeout(undefined)
    expect(clock.pending()).toBe(2)
    await clock.advance(0)
    expect(ran).toBe(2)
    expect(clock.pending()).toBe(0)
    expect(handle.unref()).toBe(handle)
  })

  it('advanceTo never moves backwards', async () => {
    const clock = createManualClock(1000)
    await clock.advanceTo(500)
    expect(clock.now()).toBe(1000)
    await clock.advanceTo(1500)
    expect(clock.now()).toBe(1500)
  })
})
