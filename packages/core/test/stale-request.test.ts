import { createManualClock } from '@m3ter-auth/testkit'
import { expect, it } from 'vitest'
import { createTokenProvider } from '../src/provider.ts'

// workerd drops the pending work of a request that has already answered: a background refresh started by
// that request never settles, and its timeout timer never fires. The provider must not wait for it forever.
it('§4.4 a token request lost with its timer is given up at the next demand after twice the timeout', async () => {
  const clock = createManualClock()
  const lostTimers = { ...clock, setTimeout: () => ({ lost: true }), clearTimeout: () => {} }
  let calls = 0
  const auth = createTokenProvider({
    credentials: { accessKeyId: 'k', apiSecret: 's' },
    tokenUrl: 'https://api.m3ter.com/oauth/token',
    clock: lostTimers,
    timeoutMs: 1_000,
    fetch: async () => {
      calls++
      if (calls === 1) return new Promise<Response>(() => {}) // lost: never settles, ignores abort
      return Response.json({ token_type: 'Bearer', access_token: 'fresh', expires_in: 18_000 })
    },
  })
  const waiting = auth.getToken()
  await clock.advance(1_999)
  expect(calls).toBe(1)
  await clock.advance(1)
  expect(await auth.getToken()).toBe('fresh')
  expect(await waiting).toBe('fresh')
  expect(calls).toBe(2)
  await auth.close()
})
