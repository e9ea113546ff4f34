import { createManualClock, type ManualClock, type MockM3ter, startMockM3ter } from '@m3ter-auth/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import type { TokenProviderOptions } from '../src/options.ts'
import { createTokenProvider } from '../src/provider.ts'
import { settle } from './harness.ts'

// Every step of a token attempt is bounded by the attempt's budget (timeoutMs), also a step that never
// answers and ignores its AbortSignal: callers get `timeout`, never an eternal wait (a top-level await on
// one exits Node with code 13 and no message).

let m3ter: MockM3ter | undefined
afterEach(async () => {
  await m3ter?.close()
  m3ter = undefined
})

const never = <T>() => new Promise<T>(() => {})

async function provider(options: Partial<TokenProviderOptions>) {
  const clock = createManualClock()
  m3ter = await startMockM3ter({ clock })
  const key = m3ter.keys[0]!
  const auth = createTokenProvider({
    credentials: { accessKeyId: key.accessKeyId, apiSecret: key.apiSecret },
    tokenUrl: m3ter.tokenUrl,
    scope: [m3ter.apiUrl],
    clock,
    random: () => 0.5,
    timeoutMs: 5_000,
    retry: { maxAttempts: 2 },
    ...options,
  })
  return { auth, clock, m3ter }
}

/** Moves the clock a second at a time (at most `limit` seconds) until the promise settles. */
async function drive<T>(promise: Promise<T>, clock: ManualClock, limit = 120) {
  let done = false
  const result = settle(promise).finally(() => {
    done = true
  })
  for (let s = 0; s < limit && !done; s++) await clock.advance(1_000)
  expect(done, `settled within ${limit} s of clock`).toBe(true)
  return result
}

describe('a whole attempt is bounded in time', () => {
  it('a credentials() function that never answers: timeout, and no token request', async () => {
    let asked = 0
    const { auth, clock, m3ter } = await provider({
      credentials: () => {
        asked++
        return never()
      },
    })
    const { error } = await drive(auth.getToken(), clock)
    expect(error).toMatchObject({ code: 'timeout' })
    expect((error as Error).message).toContain('credentials()')
    // Retried once (a timeout is transient), then given up.
    expect(asked).toBe(2)
    expect(m3ter.stats.tokenRequests).toBe(0)
    await auth.close()
    expect(clock.pending()).toBe(0)
  })

  it('an injected fetch that ignores its AbortSignal and never answers: timeout', async () => {
    let calls = 0
    const { auth, clock } = await provider({
      fetch: () => {
        calls++
        return never()
      },
    })
    const { error } = await drive(auth.getToken(), clock)
    expect(error).toMatchObject({ code: 'timeout' })
    expect(calls).toBe(2)
    await auth.close()
    expect(clock.pending()).toBe(0)
  })

  it('an answer whose body never ends (the stream ignores the signal): timeout', async () => {
    const { auth, clock } = await provider({
      fetch: async () => new Response(new ReadableStream({ pull: () => never() }), { status: 200 }),
    })
    const { error } = await drive(auth.getToken(), clock)
    expect(error).toMatchObject({ code: 'timeout' })
    await auth.close()
  })

  it('close() while credentials() hangs ends the wait at once with closed and leaves no timer', async () => {
    const { auth, clock } = await provider({ credentials: () => never() })
    const waiting = settle(auth.getToken())
    await clock.advance(1_000)
    await auth.close()
    expect((await waiting).error).toMatchObject({ code: 'closed' })
    expect(clock.pending()).toBe(0)
  })

  it('a slow credentials() within the budget is waited for', async () => {
    const { auth, clock, m3ter } = await provider({
      credentials: () => new Promise((resolve) => clock.setTimeout(() => resolve(m3ter.keys[0]!), 4_000)),
    })
    const { value } = await drive(auth.getToken(), clock)
    expect(value).toMatch(/\./)
    expect(m3ter.stats.tokenRequests).toBe(1)
    await auth.close()
  })
})
