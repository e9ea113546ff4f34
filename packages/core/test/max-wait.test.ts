import type { ManualClock } from '@m3ter-auth/testkit'
import { describe, expect, it } from 'vitest'
import type { TokenProviderOptions } from '../src/options.ts'
import { printed, type Rig, rig, settle, until } from './harness.ts'

// No caller waits longer than maxWaitMs for a token (§4.7), whatever hangs underneath: the caller gets a
// `timeout` that says what was going on, and the round goes on for the callers after it. Before maxWaitMs
// a caller sat through the whole round: about 40 s with the defaults (4 attempts of 10 s), 60 s with a
// Retry-After.

const never = <T>() => new Promise<T>(() => {})

/** A body that sends one byte per second of the manual clock, for ever: it never ends, and never stalls. */
function tricklingFetch(clock: () => ManualClock): typeof fetch {
  return async () => {
    const body = new ReadableStream<Uint8Array>({
      pull: (controller) =>
        new Promise<void>((resolve) => {
          clock().setTimeout(() => {
            controller.enqueue(new Uint8Array([0x20]))
            resolve()
          }, 1_000)
        }),
    })
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })
  }
}

/** Settles `promise`, moving the manual clock 100 ms at a time; returns the outcome and the time it took. */
async function timed<T>(promise: Promise<T>, clock: ManualClock, limitMs = 120_000) {
  const started = clock.now()
  let done = false
  const outcome = settle(promise).finally(() => {
    done = true
  })
  for (let waited = 0; waited < limitMs && !done; waited += 100) await clock.advance(100)
  return { ...(await outcome), waitedMs: clock.now() - started }
}

const hangs: Array<[string, (r: Rig) => void, (r: () => ManualClock) => Partial<TokenProviderOptions>]> = [
  ['a credentials() that never resolves', () => {}, () => ({ credentials: () => never() })],
  ['a fetch that ignores its signal', () => {}, () => ({ fetch: () => never() })],
  [
    'a silent server',
    (r) => r.m3ter.faults.inject('token', { kind: 'hang' }, { times: Infinity }),
    () => ({}),
  ],
  ['a trickling body', () => {}, (clock) => ({ fetch: tricklingFetch(clock) })],
]

describe('§4.7 no caller waits longer than maxWaitMs', () => {
  it.each(hangs)(
    '%s: the caller gets timeout after 10 s (the default), saying what was going on',
    async (_, fault, options) => {
      let clock: ManualClock | undefined
      const r = await rig(options(() => clock as ManualClock))
      clock = r.clock
      // The manual clock is only known once the rig exists; the options above read it lazily.
      fault(r)
      try {
        const { error, waitedMs } = await timed(r.auth.getToken(), r.clock)
        expect(error).toMatchObject({ code: 'timeout' })
        expect(waitedMs).toBe(10_000)
        expect((error as Error).message).toMatch(
          /^getToken: no token after 10000 ms: (token request in progress, attempt \d of 4|attempt \d of 4 failed, next attempt in \d+ ms)/,
        )
        const key = r.m3ter.keys[0]!
        expect(printed(error)).not.toContain(key.apiSecret)
        expect(r.events.filter((e) => e.type === 'token_waited')).toMatchObject([
          { outcome: 'timeout', waitedMs: 10_000 },
        ])
      } finally {
        await r.close()
      }
    },
  )

  it('the round goes on: a later caller gets the token the timed-out caller was waiting for', async () => {
    const r = await rig({ timeoutMs: 60_000, maxWaitMs: 2_000 })
    try {
      r.m3ter.faults.inject('token', { kind: 'hold' })
      const first = settle(r.auth.getToken())
      await until(() => r.m3ter.faults.held() === 1, 'the token request reaches the mock')
      await r.clock.advance(2_000)
      const { error } = await first
      expect(error).toMatchObject({ code: 'timeout' })
      expect((error as Error).message).toBe(
        'getToken: no token after 2000 ms: token request in progress, attempt 1 of 4',
      )
      const later = r.auth.getToken()
      r.m3ter.faults.release()
      expect(await later).toBe(r.m3ter.issuedTokens[0])
      expect(r.m3ter.stats.tokenRequests).toBe(1)
    } finally {
      await r.close()
    }
  })

  it("a caller's own signal may end its wait sooner, with aborted", async () => {
    const r = await rig({ fetch: () => never() })
    try {
      const controller = new AbortController()
      r.clock.setTimeout(() => controller.abort(), 3_000)
      const { error, waitedMs } = await timed(r.auth.getToken({ signal: controller.signal }), r.clock)
      expect(error).toMatchObject({ code: 'aborted' })
      expect(waitedMs).toBe(3_000)
    } finally {
      await r.close()
    }
  })

  it('a round of Retry-After shorter than maxWaitMs: the caller waits 10 s at most, and is told about the last failure', async () => {
    const r = await rig()
    try {
      r.m3ter.faults.inject('token', { kind: 'status', status: 503, retryAfter: '4' }, { times: Infinity })
      const { error, waitedMs } = await timed(r.auth.getToken(), r.clock)
      expect(waitedMs).toBe(10_000)
      expect(error).toMatchObject({
        code: 'timeout',
        cause: { code: 'token_endpoint_unavailable', status: 503 },
      })
      expect((error as Error).message).toMatch(
        /the last attempt failed: POST http:\/\/127\.0\.0\.1:\d+\/oauth\/token: /,
      )
    } finally {
      await r.close()
    }
  })

  it('a wait that ends frees its timer: nothing is left scheduled for the caller', async () => {
    const r = await rig()
    try {
      const token = await r.auth.getToken()
      expect(token).toBe(r.m3ter.issuedTokens[0])
      expect(r.clock.pending()).toBe(0)
    } finally {
      await r.close()
    }
  })
})
