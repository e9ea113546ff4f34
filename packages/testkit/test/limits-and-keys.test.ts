import { afterEach, describe, expect, it } from 'vitest'
import { createManualClock, type MockM3ter, startMockM3ter } from '../src/index.ts'
import { call, token } from './helpers.ts'

const open: MockM3ter[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()))
})
async function start(options: Parameters<typeof startMockM3ter>[0]) {
  const m3ter = await startMockM3ter(options)
  open.push(m3ter)
  return m3ter
}

const statuses = (responses: { status: number }[]) =>
  responses.reduce<Record<number, number>>((counts, res) => {
    counts[res.status] = (counts[res.status] ?? 0) + 1
    return counts
  }, {})

describe('rate limit: 50 requests a second per organisation, on the mock clock', () => {
  it('is off by default: 120 requests in one instant all pass', async () => {
    const m3ter = await start({ orgId: 'org', clock: createManualClock() })
    const bearer = await token(m3ter)
    const all = await Promise.all(
      Array.from({ length: 120 }, () => call(`${m3ter.apiUrl}/organizations/org/meters`, { bearer })),
    )
    expect(statuses(all)).toEqual({ 200: 120 })
  })

  it('rateLimit: true → the 51st request in a second gets 429 {message}, config and ingest counted apart; the window slides', async () => {
    const clock = createManualClock()
    const m3ter = await start({ orgId: 'org', clock, rateLimit: true })
    const bearer = await token(m3ter)
    const config = () => call(`${m3ter.apiUrl}/organizations/org/meters`, { bearer })
    const first = await Promise.all(Array.from({ length: 60 }, config))
    expect(statuses(first)).toEqual({ 200: 50, 429: 10 })
    const refused = first.find((res) => res.status === 429)
    expect(refused?.json).toEqual({ message: expect.any(String) })
    expect(refused?.headers.get('retry-after')).toBeNull()
    // Ingest has its own 50.
    const body = JSON.stringify({
      measurements: [{ meter: 'm', account: 'a', ts: '2026-01-01T00:00:00Z' }],
    })
    const ingest = await call(`${m3ter.ingestUrl}/organizations/org/measurements`, {
      bearer,
      method: 'POST',
      body,
    })
    expect(ingest.status).toBe(200)
    await clock.advance(999)
    expect((await config()).status).toBe(429)
    await clock.advance(1)
    expect((await config()).status).toBe(200)
    expect(m3ter.stats).toMatchObject({ rateLimited: 11, bearerRejections: 0 })
    expect(m3ter.log.filter((entry) => entry.refusal === 'rate-limit')).toHaveLength(11)
  })

  it('takes a rate and a Retry-After; reset() empties the window', async () => {
    const m3ter = await start({
      orgId: 'org',
      clock: createManualClock(),
      rateLimit: { requestsPerSecond: 2, retryAfter: 3 },
    })
    const bearer = await token(m3ter)
    const url = `${m3ter.apiUrl}/organizations/org/accounts`
    expect([(await call(url, { bearer })).status, (await call(url, { bearer })).status]).toEqual([200, 200])
    const limited = await call(url, { bearer })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('3')
    m3ter.reset()
    expect((await call(url, { bearer })).status).toBe(200)
    await expect(start({ rateLimit: { requestsPerSecond: 0 } })).rejects.toThrow(/requestsPerSecond/)
  })
})

describe('signing key: stable for the same options, rotatable', () => {
  const options = { orgId: 'org', keys: [{ accessKeyId: 'key-1', apiSecret: 'secret-1' }] }
  const meters = (m3ter: MockM3ter, bearer: string) =>
    call(`${m3ter.apiUrl}/organizations/org/meters`, { bearer }).then((res) => res.status)

  it('a restarted mock with the same org and key accepts a token the first one issued', async () => {
    const first = await start(options)
    const bearer = await token(first)
    await first.close()
    const second = await start(options)
    expect(await meters(second, bearer)).toBe(200)
    // Another secret, org or version is another signing key.
    for (const other of [
      { ...options, keys: [{ accessKeyId: 'key-1', apiSecret: 'other' }] },
      { ...options, orgId: 'org', signingKeyVersion: 1 },
    ])
      expect(await meters(await start(other), bearer)).toBe(403)
  })

  it('rotateSigningKey() makes every earlier token invalid; tokens issued after work', async () => {
    const m3ter = await start(options)
    const before = await token(m3ter)
    m3ter.rotateSigningKey()
    const refused = await call(`${m3ter.apiUrl}/organizations/org/meters`, { bearer: before })
    expect(refused.status).toBe(403)
    expect(refused.json).toEqual({ message: expect.any(String) })
    expect(m3ter.stats.bearerRejections).toBe(1)
    expect(await meters(m3ter, await token(m3ter))).toBe(200)
  })
})
