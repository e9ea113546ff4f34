import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'
import { afterEach, expect, it, vi } from 'vitest'
import type { M3terAuthEvent } from '../src/events.ts'
import { createTokenProvider } from '../src/provider.ts'
import { systemClock } from '../src/system-clock.ts'
import { settle } from './harness.ts'

// Cooldowns, backoffs and stale-request checks run on a monotonic clock, while token expiry stays on wall
// time: a wall clock stepped either way (NTP, an operator, a VM resumed) never stretches or cuts a cooldown
// and never makes an expired token look fresh.

const HOUR = 3_600_000

async function setup(credentials?: { accessKeyId: string; apiSecret: string }) {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const events: M3terAuthEvent[] = []
  const auth = createTokenProvider({
    credentials: credentials ?? m3ter.keys[0]!,
    tokenUrl: m3ter.tokenUrl,
    clock,
    random: () => 0.5,
    onEvent: (event) => events.push(event),
  })
  const close = async () => {
    await auth.close()
    await m3ter.close()
  }
  return { clock, m3ter, auth, events, close }
}

afterEach(() => {
  vi.restoreAllMocks()
})

it.each([
  ['back', -HOUR],
  ['forward', HOUR],
])(
  'a wall clock stepped %s an hour during a rejected key’s 60 s cooldown neither stretches nor cuts it',
  async (_, step) => {
    const { clock, m3ter, auth, close } = await setup({ accessKeyId: 'nope', apiSecret: 'wrong-secret' })
    try {
      expect((await settle(auth.getToken())).error).toMatchObject({ code: 'invalid_credentials' })
      await clock.advance(30_000)
      clock.stepWall(step)
      expect((await settle(auth.getToken())).error).toMatchObject({ code: 'invalid_credentials' })
      expect(m3ter.stats.tokenRequests).toBe(1)
      await clock.advance(29_999)
      await settle(auth.getToken())
      expect(m3ter.stats.tokenRequests).toBe(1)
      await clock.advance(1)
      await settle(auth.getToken())
      expect(m3ter.stats.tokenRequests).toBe(2)
    } finally {
      await close()
    }
  },
)

it('a wall clock stepped back during a give-up cooldown does not stretch it', async () => {
  const { clock, m3ter, auth, close } = await setup()
  try {
    m3ter.faults.inject('token', { kind: 'html' })
    expect((await settle(auth.getToken())).error).toMatchObject({ code: 'invalid_token_response' })
    clock.stepWall(-HOUR)
    await clock.advance(2_400)
    expect(await auth.getToken()).toMatch(/\./)
    expect(m3ter.stats.tokenRequests).toBe(2)
  } finally {
    await close()
  }
})

it('a wall clock stepped back after a token expired does not make it look fresh', async () => {
  const { clock, m3ter, auth, events, close } = await setup()
  try {
    const first = await auth.getToken()
    const fetched = events.find((e) => e.type === 'token_fetched')!
    await clock.advanceTo((fetched as { expiresAt: number }).expiresAt)
    clock.stepWall(-2 * HOUR)
    const second = await auth.getToken()
    expect(second).not.toBe(first)
    expect(m3ter.stats.tokenRequests).toBe(2)
  } finally {
    await close()
  }
})

it('a wall clock stepped back never delays the refresh of a token past its refresh point', async () => {
  const { clock, m3ter, auth, events, close } = await setup()
  try {
    const first = await auth.getToken()
    const { refreshAt } = events.find((e) => e.type === 'token_fetched') as { refreshAt: number }
    await clock.advanceTo(refreshAt)
    clock.stepWall(-HOUR)
    expect(await auth.getToken()).toBe(first)
    expect(auth.snapshot().status).toBe('refreshing')
    await clock.advance(0)
    expect(m3ter.stats.tokenRequests).toBe(2)
  } finally {
    await close()
  }
})

it('the default clock measures durations with performance.now, untouched by a step of Date.now', () => {
  const before = systemClock.monotonic?.() ?? Number.NaN
  const wall = Date.now()
  vi.spyOn(Date, 'now').mockReturnValue(wall - HOUR)
  expect(systemClock.now()).toBe(wall - HOUR)
  const after = systemClock.monotonic?.() ?? Number.NaN
  expect(after).toBeGreaterThanOrEqual(before)
  expect(after - before).toBeLessThan(HOUR / 2)
  expect(Math.abs(after - performance.now())).toBeLessThan(1_000)
})
