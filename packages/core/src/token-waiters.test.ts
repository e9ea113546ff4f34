import { createManualClock } from '@m3ter-auth/testkit'
import { describe, expect, it } from 'vitest'
import { perform } from './effect-interpreter.ts'
import { M3terAuthError } from './errors.ts'
import type { M3terAuthEvent } from './events.ts'
import { createShell } from './provider-shell.ts'
import { keepAlive, waitForToken } from './token-waiters.ts'

function setup() {
  const clock = createManualClock()
  const events: M3terAuthEvent[] = []
  const shell = createShell({
    credentials: { accessKeyId: 'key', apiSecret: 'secret' },
    clock,
    onEvent: (event) => events.push(event),
  })
  const settle = (accessToken?: string, error?: M3terAuthError) =>
    perform(shell, { type: 'settle', ...(accessToken && { accessToken }), ...(error && { error }) })
  return { clock, events, shell, settle }
}

const outcome = (promise: Promise<string>) =>
  promise.then(
    (token) => ({ token }),
    (error: unknown) => ({ error }),
  )

describe('waitForToken', () => {
  it('every waiter gets the token of the next settle, and says how long it waited', async () => {
    const { clock, events, shell, settle } = setup()
    const first = waitForToken(shell, undefined)
    const second = waitForToken(shell, undefined)
    expect(shell.waiters.size).toBe(2)
    await clock.advance(250)
    settle('a.b.c')
    expect(await first).toBe('a.b.c')
    expect(await second).toBe('a.b.c')
    expect(shell.waiters.size).toBe(0)
    expect(events.filter((e) => e.type === 'token_waited')).toMatchObject([
      { waitedMs: 250, outcome: 'token' },
      { waitedMs: 250, outcome: 'token' },
    ])
  })

  it('a settle with an error rejects every waiter with it', async () => {
    const { events, shell, settle } = setup()
    const waiting = outcome(waitForToken(shell, undefined))
    const error = new M3terAuthError('token_endpoint_unavailable', 'POST t: answered 503', { status: 503 })
    settle(undefined, error)
    expect(await waiting).toEqual({ error })
    expect(events.at(-1)).toMatchObject({ type: 'token_waited', outcome: 'token_endpoint_unavailable' })
  })

  it('an aborted caller stops waiting with `aborted` and its reason; the others keep waiting', async () => {
    const { events, shell, settle } = setup()
    const controller = new AbortController()
    const aborted = outcome(waitForToken(shell, controller.signal))
    const other = waitForToken(shell, undefined)
    const reason = new Error('user gave up')
    controller.abort(reason)
    const { error } = (await aborted) as { error: M3terAuthError }
    expect(error).toBeInstanceOf(M3terAuthError)
    expect(error).toMatchObject({ code: 'aborted', cause: reason })
    expect(events.at(-1)).toMatchObject({ type: 'token_waited', outcome: 'aborted' })
    expect(shell.waiters.size).toBe(1)
    settle('a.b.c')
    expect(await other).toBe('a.b.c')
  })

  it('keeps waiting across attempts: it settles with the settle, not with the attempt it was tied to', async () => {
    const { shell, settle } = setup()
    let finish = () => {}
    shell.fetching = new Promise<void>((resolve) => {
      finish = resolve
    })
    let settled = false
    const waiting = waitForToken(shell, undefined).then((token) => {
      settled = true
      return token
    })
    // The attempt ends (a failure that backs off) and another starts: the waiter follows it.
    const next = new Promise<void>(() => {})
    finish()
    shell.fetching = next
    await new Promise((resolve) => setImmediate(resolve))
    expect(settled).toBe(false)
    settle('a.b.c')
    expect(await waiting).toBe('a.b.c')
  })
})

describe('keepAlive', () => {
  it('refs a Node timer handle and leaves other handles alone', () => {
    const handle = setTimeout(() => {}, 1_000)
    handle.unref()
    keepAlive(handle)
    expect(handle.hasRef()).toBe(true)
    clearTimeout(handle)
    expect(() => keepAlive(undefined)).not.toThrow()
    expect(() => keepAlive(42)).not.toThrow()
  })
})
