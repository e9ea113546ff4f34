import { inspect } from 'node:util'
import { findM3terAuthError } from '@m3ter-auth/core'
import type { SuiteContext } from './context.ts'
import { listMeters } from './context.ts'
import type { Harness } from './harness.ts'

/** Every string a leak would show up as: secrets, their Basic form, every token issued. */
const secretsOf = (h: Harness, extra: readonly string[] = []) => [
  ...h.m3ter.keys.flatMap((key) => [
    key.apiSecret,
    Buffer.from(`${key.accessKeyId}:${key.apiSecret}`, 'utf8').toString('base64'),
  ]),
  ...h.m3ter.issuedTokens,
  ...extra,
]

const views = (value: unknown) => {
  const error = value as { message?: unknown; stack?: unknown }
  return [
    String(error?.message ?? ''),
    String(error?.stack ?? ''),
    JSON.stringify(value) ?? '',
    inspect(value, { depth: Number.POSITIVE_INFINITY }),
    String(value),
  ]
}

/**
 * How a caller's abort surfaced: core's code `aborted`, the signal's reason itself, or the client's own abort
 * error (got cancels the request itself and rejects with its AbortError); else what came instead.
 */
function howAborted(error: unknown, reason: unknown): string {
  if (findM3terAuthError(error)?.code === 'aborted') return 'aborted'
  const chain: unknown[] = []
  for (let current = error; chain.length < 8 && current != null; current = (current as Error).cause)
    chain.push(current)
  if (chain.includes(reason)) return 'the signal reason'
  if (chain.some((link) => (link as Error).name === 'AbortError')) return "the client's AbortError"
  return `something else: ${inspect(error)}`
}

/** §4.10 to §4.12: no secret leaks, all time from the clock, aborts end one caller only. */
export function hygieneTests({ test, harness, expect, supports }: SuiteContext): void {
  test(
    '4.10',
    'no secret or token in the error message, JSON.stringify or util.inspect (invalid_credentials)',
    async () => {
      const h = await harness({
        mock: { keys: [{ accessKeyId: 'leak-key', apiSecret: 'leak-secret-Zq93' }] },
      })
      h.m3ter.deactivateKey('leak-key')
      const error = await h.settle(h.driver.request(listMeters(h))).catch((e: unknown) => e)
      expect(findM3terAuthError(error)?.code).toBe('invalid_credentials')
      for (const view of [...views(error), ...views(findM3terAuthError(error))])
        for (const secret of secretsOf(h)) expect(view).not.toContain(secret)
    },
  )

  test(
    '4.10',
    'no secret or token in errors for a malformed answer that carried a token, nor in events or inspect(auth)',
    async () => {
      const h = await harness()
      expect((await h.send(listMeters(h))).status).toBe(200)
      h.m3ter.revokeAll()
      h.m3ter.faults.inject(
        'token',
        { kind: 'token-type', tokenType: 'mac' },
        { times: Number.POSITIVE_INFINITY },
      )
      const error = await h.settle(h.driver.request(listMeters(h))).catch((e: unknown) => e)
      // The request must fail, with the documented code: a test that passed on an answer would check nothing.
      expect(findM3terAuthError(error)?.code).toBe('invalid_token_response')
      const surfaced = [...views(error), ...views(findM3terAuthError(error))]
      expect(h.m3ter.issuedTokens.length).toBeGreaterThanOrEqual(2)
      const everywhere = [
        ...surfaced,
        JSON.stringify(h.events),
        inspect(h.events, { depth: Number.POSITIVE_INFINITY }),
        inspect(h.auth, { depth: Number.POSITIVE_INFINITY }),
        JSON.stringify(h.auth) ?? '',
        JSON.stringify(h.auth.snapshot()),
      ]
      for (const view of everywhere) for (const secret of secretsOf(h)) expect(view).not.toContain(secret)
    },
  )

  test(
    '4.11',
    'expiry is judged by the injected clock: five hours pass in no real time, a new token is fetched',
    async () => {
      const h = await harness()
      expect((await h.send(listMeters(h))).status).toBe(200)
      await h.clock.advance(5 * 60 * 60 * 1000 + 1)
      expect((await h.send(listMeters(h))).status).toBe(200)
      expect(h.m3ter.stats.tokenRequests).toBe(2)
      expect(h.m3ter.stats.bearerRejections).toBe(0)
    },
  )

  test('4.11', 'after close() no timer is left pending, even mid-backoff', async () => {
    const h = await harness()
    expect((await h.send(listMeters(h))).status).toBe(200)
    h.m3ter.faults.inject('token', { kind: 'status', status: 503 }, { times: Number.POSITIVE_INFINITY })
    await h.clock.advanceTo(h.lastFetched().refreshAt + 1)
    expect((await h.send(listMeters(h))).status).toBe(200)
    await h.until(() => h.events.some((event) => event.type === 'refresh_failed'), 'a failed refresh')
    await h.driver.close?.()
    await h.auth.close()
    expect(h.clock.pending()).toBe(0)
  })

  if (supports.signal)
    test(
      '4.12',
      'aborting one caller during a hanging token request rejects it; the others still get the token',
      async () => {
        const h = await harness()
        h.m3ter.faults.inject('token', { kind: 'hold' })
        const controller = new AbortController()
        const aborted = h.driver.request({ ...listMeters(h), signal: controller.signal })
        const others = [h.driver.request(listMeters(h)), h.driver.request(listMeters(h))]
        await h.until(() => h.m3ter.faults.held() === 1, 'the held token request')
        controller.abort()
        const error = await h.settle(aborted).then(
          () => undefined,
          (e: unknown) => e,
        )
        // The documented error: core's `aborted` (§4.12), or, where the client rejects aborts its own way
        // (fetch, undici, got), the signal's reason or its AbortError; never any other failure.
        expect(['aborted', 'the signal reason', "the client's AbortError"]).toContain(
          howAborted(error, controller.signal.reason),
        )
        h.m3ter.faults.release()
        const answers = await h.settle(Promise.all(others))
        expect(answers.map((res) => res.status)).toEqual([200, 200])
        expect(h.m3ter.stats.tokenRequests).toBe(1)
      },
    )
}
