import { afterEach, describe, expect, it } from 'vitest'
import { isM3terAuthError } from '../src/errors.ts'
import { createTokenProvider } from '../src/provider.ts'
import { printed, type Rig, rig, settle, until } from './harness.ts'

let current: Rig | undefined
async function setup(...args: Parameters<typeof rig>): Promise<Rig> {
  current = await rig(...args)
  return current
}
afterEach(async () => {
  await current?.close()
  current = undefined
})

describe('createTokenProvider against a mock m3ter on 127.0.0.1', () => {
  it('§4.1 the first demand fetches one token, and the API accepts it as a Bearer', async () => {
    const { auth, m3ter } = await setup()
    const header = await auth.authorize(`${m3ter.apiUrl}/organizations/${m3ter.orgId}/meters`)
    expect(header).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/)
    expect(m3ter.stats.tokenRequests).toBe(1)
    const res = await fetch(`${m3ter.apiUrl}/organizations/${m3ter.orgId}/meters?pageSize=2`, {
      headers: { authorization: header! },
    })
    expect(res.status).toBe(200)
    expect(auth.snapshot()).toMatchObject({ status: 'fresh', generation: 1 })
  })

  it('§4.1 authorize gives nothing to an origin out of scope, and asks for no token', async () => {
    const { auth, m3ter } = await setup({}, { separateTokenOrigin: true })
    expect(await auth.authorize('https://example.com/organizations/x')).toBeUndefined()
    expect(await auth.authorize(`${m3ter.tokenUrl}`)).toBeUndefined()
    expect(m3ter.stats.tokenRequests).toBe(0)
  })

  it('§4.2 later demands reuse the token while it is fresh', async () => {
    const { auth, m3ter, clock } = await setup()
    const first = await auth.getToken()
    for (let i = 0; i < 100; i++) expect(await auth.getToken()).toBe(first)
    await clock.advance(60 * 60 * 1000)
    expect(await auth.getToken()).toBe(first)
    expect(m3ter.stats.tokenRequests).toBe(1)
  })

  it('§4.3 1000 concurrent demands on a cold provider cause exactly one token request', async () => {
    const { auth, m3ter } = await setup()
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => auth.getToken()))
    expect(new Set(tokens).size).toBe(1)
    expect(m3ter.stats.tokenRequests).toBe(1)
  })

  it('§4.4 past the refresh point the caller gets the current token at once and one refresh runs behind', async () => {
    const { auth, m3ter, clock, next } = await setup()
    const first = await auth.getToken()
    const { refreshAt, expiresAt } = (await next('token_fetched', 0)) as {
      refreshAt: number
      expiresAt: number
    }
    await clock.advanceTo(refreshAt)
    m3ter.faults.inject('token', { kind: 'hold' })
    // The token request is held by the server: only a caller that is not waiting for it can finish.
    const during = await Promise.all([auth.getToken(), auth.getToken(), auth.getToken()])
    expect(during).toEqual([first, first, first])
    expect(auth.snapshot().status).toBe('refreshing')
    const fetched = next('token_fetched')
    await until(() => m3ter.faults.held() === 1, 'the refresh reaches the mock')
    m3ter.faults.release()
    await fetched
    const second = await auth.getToken()
    expect(second).not.toBe(first)
    expect(m3ter.stats.tokenRequests).toBe(2)
    expect(expiresAt - refreshAt).toBe(600_000 * 1.125)
  })

  it('§4.4 waitUntil is handed the token request a call starts, and only then', async () => {
    const { auth, m3ter, clock, next } = await setup()
    const handed: Promise<unknown>[] = []
    const waitUntil = (work: Promise<unknown>) => void handed.push(work)
    const first = await auth.getToken({ waitUntil })
    expect(handed).toHaveLength(1)
    await auth.getToken({ waitUntil })
    expect(handed).toHaveLength(1)
    const { refreshAt } = (await next('token_fetched', 0)) as { refreshAt: number }
    await clock.advanceTo(refreshAt)
    expect(await auth.getToken({ waitUntil })).toBe(first)
    expect(handed).toHaveLength(2)
    await handed[1]
    expect(m3ter.stats.tokenRequests).toBe(2)
    expect(await auth.getToken()).not.toBe(first)
  })

  it('§4.4 only a truly expired token makes the caller wait', async () => {
    const { auth, clock, m3ter } = await setup({
      refresh: { fraction: 0.1, minWindowMs: 0, maxWindowMs: 0, jitter: 0, skewMs: 0 },
    })
    const first = await auth.getToken()
    await clock.advance(18_000 * 1000)
    m3ter.faults.inject('token', { kind: 'hold' })
    let settled = false
    const waiting = auth.getToken().then((t) => {
      settled = true
      return t
    })
    await until(() => m3ter.faults.held() === 1, 'the token request reaches the mock')
    expect(settled).toBe(false)
    m3ter.faults.release()
    expect(await waiting).not.toBe(first)
  })

  it('§4.5 invalidate is compare-and-invalidate: only the current generation is dropped', async () => {
    const { auth, m3ter } = await setup()
    const first = await auth.getToken()
    expect(auth.invalidate('some-older-token')).toBe(false)
    expect(await auth.getToken()).toBe(first)
    expect(auth.invalidate(first)).toBe(true)
    expect(auth.invalidate(first)).toBe(false)
    const [a, b, c] = await Promise.all([auth.getToken(), auth.getToken(), auth.getToken()])
    expect(a).not.toBe(first)
    expect(new Set([a, b, c]).size).toBe(1)
    expect(m3ter.stats.tokenRequests).toBe(2)
    expect(auth.snapshot().generation).toBe(2)
  })

  it('§4.7 503 twice, then a token: retried with backoff on the injected clock', async () => {
    const { auth, m3ter, clock, next } = await setup()
    m3ter.faults.inject('token', { kind: 'status', status: 503 }, { times: 2 })
    const token = auth.getToken()
    await next('refresh_failed')
    expect(m3ter.stats.tokenRequests).toBe(1)
    const failedAgain = next('refresh_failed')
    await clock.advance(100)
    await failedAgain
    await clock.advance(200)
    expect(await token).toMatch(/\./)
    expect(m3ter.stats.tokenRequests).toBe(3)
  })

  it('§4.7 429 with Retry-After in seconds is honoured', async () => {
    const { auth, m3ter, clock, next } = await setup()
    m3ter.faults.inject('token', { kind: 'status', status: 429, retryAfter: '5' })
    const token = auth.getToken()
    const failed = await next('refresh_failed')
    expect(failed).toMatchObject({ status: 429, retryInMs: 5_000 })
    await clock.advance(4_999)
    expect(m3ter.stats.tokenRequests).toBe(1)
    await clock.advance(1)
    await token
    expect(m3ter.stats.tokenRequests).toBe(2)
  })

  it('§4.7 a Retry-After longer than maxWaitMs ends the round: callers fail fast, with retryAfterMs, until it passes', async () => {
    const { auth, m3ter, clock } = await setup()
    m3ter.faults.inject('token', { kind: 'status', status: 429, retryAfter: '20' }, { times: 1 })
    // No waiting for an attempt no caller could see: the first caller gets the error at once.
    const { error } = await settle(auth.getToken())
    expect(error).toMatchObject({ code: 'token_endpoint_unavailable', status: 429, retryAfterMs: 20_000 })
    expect(m3ter.stats.tokenRequests).toBe(1)
    expect((await settle(auth.getToken())).error).toBe(error)
    await clock.advance(19_999)
    expect((await settle(auth.getToken())).error).toBe(error)
    expect(m3ter.stats.tokenRequests).toBe(1)
    await clock.advance(1)
    expect(await auth.getToken()).toMatch(/\./)
    expect(m3ter.stats.tokenRequests).toBe(2)
  })

  it('§4.7 429 with Retry-After as an HTTP-date is honoured', async () => {
    const { auth, m3ter, clock, next } = await setup()
    m3ter.faults.inject('token', {
      kind: 'status',
      status: 429,
      retryAfter: new Date(clock.now() + 8_000).toUTCString(),
    })
    const token = auth.getToken()
    expect(await next('refresh_failed')).toMatchObject({ retryInMs: 8_000 })
    await clock.advance(8_000)
    await token
  })

  it('§4.7 a token endpoint that stays down: attempts are bounded, then a typed error', async () => {
    const { auth, m3ter, clock, events } = await setup({ retry: { maxAttempts: 4 } })
    const rigEvents = () => events
    m3ter.faults.inject('token', { kind: 'status', status: 502 }, { times: Number.POSITIVE_INFINITY })
    let done = false
    const result = settle(auth.getToken()).finally(() => {
      done = true
    })
    // Advance by exactly each backoff: a bigger step would also run the next attempt's timeout while its real
    // loopback request is in flight (that is what made this test fail on Node 22 and 24 only).
    for (let failures = 1; !done; failures++) {
      await until(
        () => done || rigEvents().filter((e) => e.type === 'refresh_failed').length >= failures,
        'a failure',
      )
      const failed = rigEvents().filter((e) => e.type === 'refresh_failed')[failures - 1]
      const retryInMs = failed && 'retryInMs' in failed ? failed.retryInMs : undefined
      if (retryInMs !== undefined) await clock.advance(retryInMs)
    }
    const { error } = await result
    expect(error).toMatchObject({ code: 'token_endpoint_unavailable', status: 502 })
    expect(m3ter.stats.tokenRequests).toBe(4)
  })

  it('§4.7 a hang past timeoutMs is a timeout, retried', async () => {
    const { auth, m3ter, clock, next } = await setup({ timeoutMs: 2_000 })
    m3ter.faults.inject('token', { kind: 'hang' })
    const token = auth.getToken()
    // Two timers: the attempt's timeout and the caller's maxWaitMs.
    await until(() => m3ter.stats.tokenRequests === 1 && clock.pending() === 2, 'the request hangs')
    const failed = next('refresh_failed')
    await clock.advance(2_000)
    expect(await failed).toMatchObject({ code: 'timeout' })
    await clock.advance(1_000)
    await token
    expect(m3ter.stats.tokenRequests).toBe(2)
  })

  it('§4.7 a dropped connection is retried', async () => {
    const { auth, m3ter, clock, next } = await setup()
    m3ter.faults.inject('token', { kind: 'drop' })
    const token = auth.getToken()
    expect(await next('refresh_failed')).toMatchObject({ code: 'token_endpoint_unavailable' })
    await clock.advance(1_000)
    await token
  })

  it('§4.7 a bad key gets invalid_credentials at once, then fails fast until the cooldown passes', async () => {
    const { auth, m3ter, clock } = await setup({
      credentials: { accessKeyId: 'nope', apiSecret: 'wrong-secret' },
    })
    const { error } = await settle(auth.getToken())
    expect(error).toMatchObject({ code: 'invalid_credentials', status: 401 })
    expect((error as Error).message).toContain('nope')
    for (let i = 0; i < 20; i++)
      expect((await settle(auth.getToken())).error).toMatchObject({ code: 'invalid_credentials' })
    expect(m3ter.stats.tokenRequests).toBe(1)
    await clock.advance(60_000)
    await settle(auth.getToken())
    expect(m3ter.stats.tokenRequests).toBe(2)
  })

  it('§4.7 with [primary, secondary] a rejected key makes the other be tried first', async () => {
    const clockRig = await setup()
    await clockRig.close()
    const { m3ter } = await setup()
    const secondary = m3ter.addKey()
    const primary = m3ter.keys[0]!
    m3ter.deactivateKey(primary.accessKeyId)
    const auth = createTokenProvider({
      credentials: [primary, secondary],
      tokenUrl: m3ter.tokenUrl,
      scope: [m3ter.apiUrl],
    })
    await auth.getToken()
    await auth.getToken()
    expect(m3ter.stats.tokenRequestsByKey).toEqual({ [primary.accessKeyId]: 1, [secondary.accessKeyId]: 1 })
    await auth.close()
  })

  it('§4.7 setCredentials ends the fail-fast and rotates keys without downtime', async () => {
    const { auth, m3ter } = await setup()
    const first = await auth.getToken()
    const next = m3ter.addKey()
    auth.setCredentials(next)
    expect(await auth.getToken()).toBe(first)
    auth.invalidate(first)
    await auth.getToken()
    expect(m3ter.stats.tokenRequestsByKey[next.accessKeyId]).toBe(1)

    auth.setCredentials({ accessKeyId: 'gone', apiSecret: 'gone-secret' })
    auth.invalidate(await auth.getToken())
    expect((await settle(auth.getToken())).error).toMatchObject({ code: 'invalid_credentials' })
    auth.setCredentials(next)
    expect(await auth.getToken()).toMatch(/\./)
  })

  it('§4.8 a failed refresh keeps serving the valid token and retries with backoff', async () => {
    const { auth, m3ter, clock, next } = await setup()
    const first = await auth.getToken()
    const { refreshAt } = (await next('token_fetched', 0)) as { refreshAt: number }
    await clock.advanceTo(refreshAt)
    m3ter.faults.inject('token', { kind: 'status', status: 500 }, { times: 3 })
    expect(await auth.getToken()).toBe(first)
    await next('served_stale')
    for (let i = 0; i < 3; i++) expect(await auth.getToken()).toBe(first)
    const fetched = next('token_fetched')
    for (let request = 2; request <= 4; request++) {
      await until(
        () => auth.snapshot().status === 'backoff' && m3ter.stats.tokenRequests === request,
        'a backoff',
      )
      expect(await auth.getToken()).toBe(first)
      // Exactly to the retry: a larger step would also fire the next attempt's timeout.
      await clock.advanceTo(clock.nextDue()!)
    }
    await fetched
    expect(await auth.getToken()).not.toBe(first)
  })

  it('§4.8 rejected credentials during a refresh keep the valid token too', async () => {
    const { auth, m3ter, clock, next } = await setup()
    const first = await auth.getToken()
    const { refreshAt } = (await next('token_fetched', 0)) as { refreshAt: number }
    await clock.advanceTo(refreshAt)
    m3ter.deactivateKey(m3ter.keys[0]!.accessKeyId)
    expect(await auth.getToken()).toBe(first)
    await next('credentials_rejected')
    expect(await auth.getToken()).toBe(first)
    expect(m3ter.stats.tokenRequests).toBe(2)
  })

  it.each([
    ['an HTML page', { kind: 'html' as const }],
    ['non-JSON', { kind: 'non-json' as const }],
    ['no access_token', { kind: 'missing-access-token' as const }],
    ['token_type not bearer', { kind: 'token-type' as const, tokenType: 'mac' }],
    ['expires_in missing', { kind: 'expires-in' as const, expiresIn: 'missing' }],
    ['expires_in zero', { kind: 'expires-in' as const, expiresIn: 0 }],
    ['expires_in negative', { kind: 'expires-in' as const, expiresIn: -1 }],
    ['expires_in absurd', { kind: 'expires-in' as const, expiresIn: 1e12 }],
    ['an answer over 64 KiB', { kind: 'oversize' as const }],
    ['a redirect', { kind: 'redirect' as const, location: 'http://127.0.0.1:9/steal', status: 307 as const }],
  ])('§4.9 %s gives invalid_token_response', async (_, fault) => {
    const { auth, m3ter, clock } = await setup()
    m3ter.faults.inject('token', fault)
    const { error } = await settle(auth.getToken())
    expect(error).toMatchObject({ code: 'invalid_token_response' })
    expect(m3ter.stats.tokenRequests).toBe(1)
    // Not retried (a malformed answer is not transient), and callers fail fast with the same error for a
    // cooldown (2.4 s: three quarters of 200 ms * 2^4 at random 0.5); then the endpoint is asked again.
    await clock.advance(2_399)
    expect((await settle(auth.getToken())).error).toBe(error)
    expect(m3ter.stats.tokenRequests).toBe(1)
    await clock.advance(1)
    expect(await auth.getToken()).toMatch(/\./)
    expect(m3ter.stats.tokenRequests).toBe(2)
  })

  it('§4.10 no secret or token in errors, events, JSON or inspect', async () => {
    const { auth, m3ter, events, clock } = await setup()
    const key = m3ter.keys[0]!
    const token = await auth.getToken()
    m3ter.faults.inject('token', { kind: 'status', status: 503 }, { times: 10 })
    auth.invalidate(token)
    const failed = settle(auth.getToken())
    for (let i = 0; i < 10; i++) await clock.advance(30_000)
    const { error } = await failed
    const bad = createTokenProvider({
      credentials: { accessKeyId: 'k', apiSecret: key.apiSecret },
      tokenUrl: m3ter.tokenUrl,
      scope: [m3ter.apiUrl],
    })
    const rejected = (await settle(bad.getToken())).error
    const basic = Buffer.from(`${key.accessKeyId}:${key.apiSecret}`).toString('base64')
    for (const value of [error, rejected, events, auth, bad, auth.snapshot()]) {
      const text = printed(value)
      expect(text).not.toContain(key.apiSecret)
      expect(text).not.toContain(basic)
      for (const issued of m3ter.issuedTokens) expect(text).not.toContain(issued)
    }
    await bad.close()
  })

  it('§4.11 all time comes from the injected clock, and close() ends everything scheduled', async () => {
    const { auth, m3ter, clock, next } = await setup()
    m3ter.faults.inject('token', { kind: 'status', status: 503 })
    const pending = settle(auth.getToken())
    await next('refresh_failed')
    // The backoff and the caller's maxWaitMs.
    expect(clock.pending()).toBe(2)
    await auth.close()
    expect(clock.pending()).toBe(0)
    // `closed`, not `aborted`: the caller did not give up, the provider was shut down.
    expect((await pending).error).toMatchObject({ code: 'closed' })
    expect((await settle(auth.getToken())).error).toMatchObject({ code: 'closed' })
    expect(auth.snapshot().status).toBe('closed')
  })

  it('§4.12 an aborted caller stops waiting; the shared request goes on for the others', async () => {
    const { auth, m3ter } = await setup()
    m3ter.faults.inject('token', { kind: 'hold' })
    const controller = new AbortController()
    const aborted = settle(auth.getToken({ signal: controller.signal }))
    const other = auth.getToken()
    controller.abort(new Error('user gave up'))
    expect((await aborted).error).toMatchObject({ code: 'aborted' })
    await until(() => m3ter.faults.held() === 1, 'the token request reaches the mock')
    m3ter.faults.release()
    expect(await other).toMatch(/\./)
    expect(m3ter.stats.tokenRequests).toBe(1)
    expect((await settle(auth.getToken({ signal: AbortSignal.abort() }))).error).toMatchObject({
      code: 'aborted',
    })
  })

  it('sends the grant form encoded when asked, and UTF-8 secrets intact', async () => {
    const { m3ter } = await setup({}, { keys: [{ accessKeyId: 'kéy-1', apiSecret: 'sécret€🔑' }] })
    const auth = createTokenProvider({
      credentials: m3ter.keys[0]!,
      tokenUrl: m3ter.tokenUrl,
      scope: [m3ter.apiUrl],
      bodyEncoding: 'form',
    })
    expect(await auth.getToken()).toMatch(/\./)
    const sent = m3ter.log.find((e) => e.origin === 'token')!
    expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded')
    await auth.close()
  })
})

describe('bad input', () => {
  it('missing credentials name the environment variables to set', async () => {
    const saved = { key: process.env.M3TER_API_KEY, secret: process.env.M3TER_API_SECRET }
    delete process.env.M3TER_API_KEY
    delete process.env.M3TER_API_SECRET
    const auth = createTokenProvider({
      tokenUrl: 'http://127.0.0.1:9/oauth/token',
      scope: ['http://127.0.0.1:9'],
    })
    const { error } = await settle(auth.getToken())
    expect(error).toMatchObject({ code: 'missing_credentials' })
    expect((error as Error).message).toMatch(/M3TER_API_KEY.*M3TER_API_SECRET/)
    Object.assign(
      process.env,
      saved.key ? { M3TER_API_KEY: saved.key } : {},
      saved.secret ? { M3TER_API_SECRET: saved.secret } : {},
    )
  })

  it('reads M3TER_API_KEY / M3TER_API_SECRET at first use, not before', async () => {
    const { m3ter } = await setup()
    const auth = createTokenProvider({ tokenUrl: m3ter.tokenUrl, scope: [m3ter.apiUrl] })
    process.env.M3TER_API_KEY = m3ter.keys[0]!.accessKeyId
    process.env.M3TER_API_SECRET = m3ter.keys[0]!.apiSecret
    try {
      expect(await auth.getToken()).toMatch(/\./)
    } finally {
      delete process.env.M3TER_API_KEY
      delete process.env.M3TER_API_SECRET
      await auth.close()
    }
  })

  it.each([
    [{ credentials: { accessKeyId: '', apiSecret: 's' } }, 'invalid_options', 'accessKeyId'],
    [{ credentials: { accessKeyId: '   ', apiSecret: 's' } }, 'invalid_options', 'accessKeyId'],
    [{ credentials: { accessKeyId: 'a:b', apiSecret: 's' } }, 'invalid_options', "':'"],
    [{ credentials: { accessKeyId: 'k', apiSecret: ' \t' } }, 'invalid_options', 'apiSecret'],
    [{ credentials: [{ accessKeyId: 'k', apiSecret: 's' }] }, 'invalid_options', 'primary, secondary'],
    [{ tokenUrl: 'http://api.m3ter.com/oauth/token' }, 'insecure_url', 'tokenUrl'],
    [{ tokenUrl: 'not a url' }, 'invalid_options', 'tokenUrl'],
    [{ scope: ['http://ingest.m3ter.com'] }, 'insecure_url', 'scope'],
    [{ timeoutMs: -1 }, 'invalid_options', 'timeoutMs'],
    [{ refresh: { fraction: 2 } }, 'invalid_options', 'refresh.fraction'],
    [{ retry: { maxAttempts: 0 } }, 'invalid_options', 'retry.maxAttempts'],
  ])('%j is refused with %s, naming %s', (options, code, named) => {
    let error: unknown
    try {
      createTokenProvider(options as never)
    } catch (e) {
      error = e
    }
    expect(isM3terAuthError(error)).toBe(true)
    expect(error).toMatchObject({ code })
    expect((error as Error).message).toContain(named)
  })

  it('never echoes the secret of bad credentials', () => {
    let error: unknown
    try {
      createTokenProvider({ credentials: { accessKeyId: 'a:b', apiSecret: 'top-secret-value' } })
    } catch (e) {
      error = e
    }
    expect(printed(error)).not.toContain('top-secret-value')
  })

  it('§4.13 refuses to run in a browser page unless dangerouslyAllowBrowser is given', () => {
    const g = globalThis as Record<string, unknown>
    g.window = {}
    g.document = {}
    try {
      expect(() => createTokenProvider({ credentials: { accessKeyId: 'k', apiSecret: 's' } })).toThrowError(
        expect.objectContaining({ code: 'invalid_options' }),
      )
      expect(() =>
        createTokenProvider({
          credentials: { accessKeyId: 'k', apiSecret: 's' },
          dangerouslyAllowBrowser: true,
        }),
      ).not.toThrow()
    } finally {
      delete g.window
      delete g.document
    }
  })
})
