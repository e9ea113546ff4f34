import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { dispatch, perform } from './effect-interpreter.ts'
import type { M3terAuthEvent } from './events.ts'
import { createShell } from './provider-shell.ts'

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function setup() {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  closers.push(() => m3ter.close())
  const events: M3terAuthEvent[] = []
  const shell = createShell({
    credentials: m3ter.keys[0]!,
    tokenUrl: m3ter.tokenUrl,
    clock,
    random: () => 0.5,
    onEvent: (event) => events.push(event),
  })
  closers.unshift(async () => void dispatch(shell, { type: 'close' }))
  return { clock, m3ter, events, shell }
}

describe('dispatch', () => {
  it('a first demand starts one attempt, which ends in a token for the machine', async () => {
    const { m3ter, events, shell } = await setup()
    const before = shell.fetching
    expect(dispatch(shell, { type: 'demand' })).toEqual({})
    expect(shell.fetching).not.toBe(before)
    expect(shell.state.phase.type).toBe('fetching')
    await shell.fetching
    expect(m3ter.stats.tokenRequests).toBe(1)
    expect(shell.state.phase.type).toBe('idle')
    expect(dispatch(shell, { type: 'demand' }).token).toBe(shell.state.token?.accessToken)
    expect(events.map((e) => e.type)).toEqual(['fetch_started', 'token_fetched'])
  })

  it('an invalidate replies whether the token was current', async () => {
    const { shell } = await setup()
    dispatch(shell, { type: 'demand' })
    await shell.fetching
    const token = shell.state.token?.accessToken ?? ''
    expect(dispatch(shell, { type: 'invalidate', accessToken: 'older' })).toBe(false)
    expect(dispatch(shell, { type: 'invalidate', accessToken: token })).toBe(true)
    expect(shell.state.token).toBeUndefined()
  })
})

describe('perform', () => {
  it('a timer effect steps the machine with its timer event when it falls due; abort cancels it', async () => {
    const { clock, events, shell } = await setup()
    // A backoff as the machine leaves it after a failure: its timer starts the next attempt.
    shell.state = { ...shell.state, phase: { type: 'backoff', timerId: 7, retryAt: 0, round: undefined } }
    perform(shell, { type: 'timer', timerId: 7, at: shell.mono() + 400 })
    await clock.advance(399)
    expect(events).toEqual([])
    await clock.advance(1)
    expect(events[0]).toMatchObject({ type: 'fetch_started', reason: 'retry' })
    await shell.fetching
    // Another backoff, cancelled before it falls due: nothing starts.
    shell.state = { ...shell.state, phase: { type: 'backoff', timerId: 9, retryAt: 0, round: undefined } }
    perform(shell, { type: 'timer', timerId: 9, at: shell.mono() + 400 })
    perform(shell, { type: 'abort' })
    const seen = events.length
    await clock.advance(1_000)
    expect(events.length).toBe(seen)
    expect(clock.pending()).toBe(0)
  })

  it('emit stamps the time and survives a listener that throws', async () => {
    const { clock, events, shell } = await setup()
    shell.listeners.add({
      listener: () => {
        throw new Error('observer bug')
      },
    })
    perform(shell, { type: 'emit', event: { type: 'credentials_changed' } })
    expect(events).toEqual([{ type: 'credentials_changed', at: clock.now() }])
  })
})
