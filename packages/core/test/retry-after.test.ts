import { describe, expect, it } from 'vitest'
import { rig, settle, until } from './harness.ts'

// Retry-After is honoured as the token endpoint sends it, up to retry.maxRetryAfterMs (§4.7). It used to be
// capped at 30 s: `Retry-After: 3600` was asked again every 30 s, about 120 token requests an hour.

const MINUTE = 60_000
const HOUR = 60 * MINUTE

describe('§4.7 Retry-After is honoured as sent', () => {
  it('Retry-After: 3600 during a refresh: the valid token is served, one request in the hour, then fail fast with retryAfterMs', async () => {
    const r = await rig()
    try {
      const first = await r.auth.getToken()
      const { refreshAt, expiresAt } = r.events.find((e) => e.type === 'token_fetched') as {
        refreshAt: number
        expiresAt: number
      }
      await r.clock.advanceTo(refreshAt)
      r.m3ter.faults.inject('token', { kind: 'status', status: 503, retryAfter: '3600' }, { times: Infinity })
      const requestsBefore = r.m3ter.stats.tokenRequests
      const start = r.clock.now()
      const outcomes: Array<{ at: number; value?: string; error?: unknown }> = []
      // A call every 30 s for (just under) an hour.
      for (let at = start; at < start + HOUR; at += 30_000) {
        await r.clock.advanceTo(at)
        const call = settle(r.auth.getToken())
        await until(
          () => !['fetching', 'refreshing'].includes(r.auth.snapshot().status),
          'no request in flight',
        )
        outcomes.push({ at, ...(await call) })
      }
      // The refresh that met the Retry-After, and nothing more before the hour is up.
      expect(r.m3ter.stats.tokenRequests - requestsBefore).toBe(1)
      for (const { at, value, error } of outcomes) {
        if (at < expiresAt) expect(value).toBe(first)
        else
          expect(error).toMatchObject({
            code: 'token_endpoint_unavailable',
            status: 503,
            retryAfterMs: 3_600_000,
          })
      }
      // The hour is up: the endpoint is asked again.
      r.m3ter.faults.clear()
      await r.clock.advanceTo(start + HOUR)
      expect(await r.auth.getToken()).not.toBe(first)
      expect(r.m3ter.stats.tokenRequests - requestsBefore).toBe(2)
    } finally {
      await r.close()
    }
  })

  it('a cold provider fails fast for as long as the server asked, up to retry.maxRetryAfterMs', async () => {
    const r = await rig({ retry: { maxRetryAfterMs: 10 * MINUTE } })
    try {
      r.m3ter.faults.inject('token', { kind: 'status', status: 429, retryAfter: '7200' }, { times: 1 })
      const { error } = await settle(r.auth.getToken())
      // The error says what the server asked; the provider comes back at its own cap.
      expect(error).toMatchObject({
        code: 'token_endpoint_unavailable',
        status: 429,
        retryAfterMs: 7_200_000,
      })
      await r.clock.advance(10 * MINUTE - 1)
      expect((await settle(r.auth.getToken())).error).toBe(error)
      expect(r.m3ter.stats.tokenRequests).toBe(1)
      await r.clock.advance(1)
      expect(await r.auth.getToken()).toBe(r.m3ter.issuedTokens[0])
      expect(r.m3ter.stats.tokenRequests).toBe(2)
    } finally {
      await r.close()
    }
  })

  it('a Retry-After shorter than maxWaitMs is waited for by the caller, and the round goes on', async () => {
    const r = await rig()
    try {
      r.m3ter.faults.inject('token', { kind: 'status', status: 503, retryAfter: '3' }, { times: 1 })
      const token = r.auth.getToken()
      expect(await r.next('refresh_failed')).toMatchObject({ status: 503, retryInMs: 3_000 })
      await r.clock.advance(2_999)
      expect(r.m3ter.stats.tokenRequests).toBe(1)
      await r.clock.advance(1)
      expect(await token).toBe(r.m3ter.issuedTokens[0])
    } finally {
      await r.close()
    }
  })
})
