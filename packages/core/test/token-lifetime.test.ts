import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'
import { expect, it } from 'vitest'
import type { M3terAuthEvent } from '../src/events.ts'
import { createTokenProvider } from '../src/provider.ts'
import { settle, until } from './harness.ts'

// No caller is ever settled with a token past its own expiresAt, even when the answer took longer to
// arrive than the token lives (a minute-long token, a slow network and a generous timeoutMs).
it('§4.9 a token that expired before its answer arrived is invalid_token_response, never handed out', async () => {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock, tokenLifetimeSeconds: 60 })
  const events: M3terAuthEvent[] = []
  const key = m3ter.keys[0]!
  const auth = createTokenProvider({
    credentials: { accessKeyId: key.accessKeyId, apiSecret: key.apiSecret },
    tokenUrl: m3ter.tokenUrl,
    clock,
    random: () => 0.5,
    timeoutMs: 120_000,
    maxWaitMs: 120_000, // the caller waits for the late answer, to see it refused
    onEvent: (event) => events.push(event),
  })
  try {
    m3ter.faults.inject('token', { kind: 'hold' })
    const waiting = settle(auth.getToken())
    await until(() => m3ter.faults.held() === 1, 'the token request reaches the mock')
    // 60 s lifetime less the 10 s skew: the token stops being served 50 s after the request started.
    await clock.advance(55_000)
    m3ter.faults.release()
    const { value, error } = await waiting
    expect(value).toBeUndefined()
    expect(error).toMatchObject({ code: 'invalid_token_response' })
    expect(events.some((e) => e.type === 'token_fetched')).toBe(false)
    expect(auth.snapshot().generation).toBe(0)
  } finally {
    await auth.close()
    await m3ter.close()
  }
})

it('§4.9 expires_in 0.001 is invalid_token_response, and the endpoint is not asked again at once', async () => {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const key = m3ter.keys[0]!
  const auth = createTokenProvider({
    credentials: { accessKeyId: key.accessKeyId, apiSecret: key.apiSecret },
    tokenUrl: m3ter.tokenUrl,
    clock,
  })
  try {
    m3ter.faults.inject(
      'token',
      { kind: 'expires-in', expiresIn: 0.001 },
      { times: Number.POSITIVE_INFINITY },
    )
    for (let i = 0; i < 100; i++)
      expect((await settle(auth.getToken())).error).toMatchObject({ code: 'invalid_token_response' })
    expect(m3ter.stats.tokenRequests).toBe(1)
  } finally {
    await auth.close()
    await m3ter.close()
  }
})
