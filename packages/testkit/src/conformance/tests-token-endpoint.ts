import { findM3terAuthError } from '@m3ter-auth/core'
import type { AnyFault } from '../faults.ts'
import type { SuiteContext } from './context.ts'
import { listMeters } from './context.ts'

const codeOf = (error: unknown) => findM3terAuthError(error)?.code

/** §4.7 to §4.9: token endpoint failures, stale-while-failing refresh, malformed answers. */
export function tokenEndpointTests({ test, harness, expect }: SuiteContext): void {
  test(
    '4.7',
    "token endpoint 401 (inactive key): the request rejects with 'invalid_credentials', no hammering",
    async () => {
      const h = await harness()
      const [key] = h.m3ter.keys
      h.m3ter.deactivateKey(key!.accessKeyId)
      const first = await h.settle(h.driver.request(listMeters(h))).catch((error: unknown) => error)
      expect(codeOf(first)).toBe('invalid_credentials')
      const second = await h.settle(h.driver.request(listMeters(h))).catch((error: unknown) => error)
      expect(codeOf(second)).toBe('invalid_credentials')
      expect(h.m3ter.stats.tokenRequests).toBe(1)
      expect(h.m3ter.stats.apiRequests).toBe(0)
      // once the key works again and the cooldown has passed, requests recover
      h.m3ter.activateKey(key!.accessKeyId)
      const rejected = h.events.find((event) => event.type === 'credentials_rejected')
      await h.clock.advanceTo(
        rejected && 'cooldownUntil' in rejected ? rejected.cooldownUntil : h.clock.now() + 60_000,
      )
      expect((await h.send(listMeters(h))).status).toBe(200)
    },
  )

  test('4.7', 'with two keys, the other key is tried when one is rejected', async () => {
    const keys = [
      { accessKeyId: 'primary', apiSecret: 'p-secret', active: false },
      { accessKeyId: 'secondary', apiSecret: 's-secret' },
    ]
    const h = await harness({
      mock: { keys },
      credentials: () => [keys[0]!, keys[1]!] as const,
    })
    expect((await h.send(listMeters(h))).status).toBe(200)
    expect(h.m3ter.stats.tokenRequestsByKey).toEqual({ primary: 1, secondary: 1 })
    expect((await h.send(listMeters(h))).status).toBe(200)
    expect(h.m3ter.stats.tokenRequests).toBe(2)
  })

  test('4.7', 'token endpoint 503 twice then ok: the request recovers', async () => {
    const h = await harness()
    h.m3ter.faults.inject('token', { kind: 'status', status: 503 }, { times: 2 })
    expect((await h.send(listMeters(h))).status).toBe(200)
    expect(h.m3ter.stats.tokenRequests).toBe(3)
    expect(h.m3ter.stats.tokenRetries).toBe(2)
  })

  test('4.7', 'token endpoint 500, 502 (HTML page), 504: retried with backoff, then ok', async () => {
    const h = await harness()
    h.m3ter.faults.inject('token', { kind: 'status', status: 500 })
    h.m3ter.faults.inject('token', { kind: 'html', status: 502 })
    h.m3ter.faults.inject('token', { kind: 'status', status: 504 })
    expect((await h.send(listMeters(h))).status).toBe(200)
    expect(h.m3ter.stats.tokenRequests).toBe(4)
    const times = h.m3ter.log.filter((entry) => entry.origin === 'token').map((entry) => entry.at)
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!)
  })

  test('4.7', 'token endpoint 429 honours Retry-After in seconds', async () => {
    const h = await harness()
    h.m3ter.faults.inject('token', { kind: 'status', status: 429, retryAfter: '2' })
    expect((await h.send(listMeters(h))).status).toBe(200)
    const [first, second] = h.m3ter.log.filter((entry) => entry.origin === 'token')
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(2000)
  })

  test(
    '4.7',
    'token endpoint 429 honours Retry-After as an HTTP-date (read against the injected clock)',
    async () => {
      const h = await harness()
      const retryAt = new Date(h.clock.now() + 3000).toUTCString()
      h.m3ter.faults.inject('token', { kind: 'status', status: 429, retryAfter: retryAt })
      expect((await h.send(listMeters(h))).status).toBe(200)
      const [first, second] = h.m3ter.log.filter((entry) => entry.origin === 'token')
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(2000)
      expect(second!.at - first!.at).toBeLessThanOrEqual(31_000)
    },
  )

  test('4.7', 'a dropped connection at the token endpoint is retried', async () => {
    const h = await harness()
    h.m3ter.faults.inject('token', { kind: 'drop' })
    expect((await h.send(listMeters(h))).status).toBe(200)
    expect(h.m3ter.stats.tokenRequests).toBe(2)
  })

  test('4.7', 'a token request that hangs past the timeout (injected clock) is retried', async () => {
    const h = await harness({ provider: { timeoutMs: 5000 } })
    h.m3ter.faults.inject('token', { kind: 'hang' })
    const pending = h.driver.request(listMeters(h))
    await h.until(() => h.m3ter.stats.tokenRequests === 1, 'the hanging token request')
    await h.clock.advance(5000)
    expect((await h.settle(pending)).status).toBe(200)
    expect(h.m3ter.stats.tokenRequests).toBe(2)
  })

  test(
    '4.7',
    "a token endpoint down for good: bounded attempts, then 'token_endpoint_unavailable'",
    async () => {
      const h = await harness()
      h.m3ter.faults.inject('token', { kind: 'status', status: 503 }, { times: Number.POSITIVE_INFINITY })
      const error = await h.settle(h.driver.request(listMeters(h))).catch((e: unknown) => e)
      expect(codeOf(error)).toBe('token_endpoint_unavailable')
      expect(h.m3ter.stats.tokenRequests).toBeGreaterThan(1)
      expect(h.m3ter.stats.tokenRequests).toBeLessThanOrEqual(10)
      expect(h.m3ter.stats.apiRequests).toBe(0)
    },
  )

  test(
    '4.8',
    'a failing refresh while the token is still valid: requests keep succeeding with it',
    async () => {
      const h = await harness()
      expect((await h.send(listMeters(h))).status).toBe(200)
      const first = h.lastFetched()
      const oldToken = h.m3ter.issuedTokens[0]
      h.m3ter.faults.inject('token', { kind: 'status', status: 503 }, { times: Number.POSITIVE_INFINITY })
      await h.clock.advanceTo(first.refreshAt + 1)
      for (let i = 0; i < 3; i++) {
        expect((await h.send(listMeters(h))).status).toBe(200)
        expect(h.bearerOf(h.apiLog().at(-1)!)).toBe(oldToken)
      }
      await h.until(() => h.events.some((event) => event.type === 'refresh_failed'), 'a failed refresh')
      await h.clock.advance(30_000)
      expect((await h.send(listMeters(h))).status).toBe(200)
      expect(h.bearerOf(h.apiLog().at(-1)!)).toBe(oldToken)
      expect(h.clock.now()).toBeLessThan(first.expiresAt)
      // the endpoint comes back: a later demand or retry brings a new token before the old one expires
      h.m3ter.faults.clear()
      const fetchedBefore = h.events.filter((event) => event.type === 'token_fetched').length
      for (
        let i = 0;
        i < 10 && h.events.filter((e) => e.type === 'token_fetched').length === fetchedBefore;
        i++
      ) {
        await h.clock.advance(30_000)
        await h.send(listMeters(h))
      }
      expect(h.clock.now()).toBeLessThan(first.expiresAt)
      expect((await h.send(listMeters(h))).status).toBe(200)
      expect(h.bearerOf(h.apiLog().at(-1)!)).not.toBe(oldToken)
    },
  )

  const malformed: Array<[string, AnyFault]> = [
    ['an HTML page with status 200', { kind: 'html' }],
    ['not JSON', { kind: 'non-json' }],
    ['no access_token', { kind: 'missing-access-token' }],
    ["token_type 'mac'", { kind: 'token-type', tokenType: 'mac' }],
    ['expires_in missing', { kind: 'expires-in', expiresIn: 'missing' }],
    ['expires_in 0', { kind: 'expires-in', expiresIn: 0 }],
    ['expires_in -1', { kind: 'expires-in', expiresIn: -1 }],
    ['expires_in absurd (10 years)', { kind: 'expires-in', expiresIn: 10 * 365 * 24 * 3600 }],
    ['a body over 64 KiB', { kind: 'oversize' }],
  ]
  for (const [what, fault] of malformed)
    test('4.9', `malformed token answer (${what}) gives 'invalid_token_response'`, async () => {
      const h = await harness()
      h.m3ter.faults.inject('token', fault, { times: Number.POSITIVE_INFINITY })
      const error = await h.settle(h.driver.request(listMeters(h))).catch((e: unknown) => e)
      expect(codeOf(error)).toBe('invalid_token_response')
      expect(h.m3ter.stats.apiRequests).toBe(0)
    })
}
