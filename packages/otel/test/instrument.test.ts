import { isM3terAuthError, type TokenProvider } from '@m3ter-auth/core'
import { ATTRIBUTES as A, instrumentM3terAuth, METRICS as M, TOKEN_REQUEST_SPAN } from '@m3ter-auth/otel'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { afterEach, describe, expect, it } from 'vitest'
import { type OtelRig, otelRig } from './rig.ts'

let rig: OtelRig | undefined
afterEach(async () => {
  await rig?.close()
  rig = undefined
})

/** A rig closed after the test, whatever happens in it. */
async function start(options?: Parameters<typeof otelRig>[0]): Promise<OtelRig> {
  rig = await otelRig(options)
  return rig
}

const MINUTE = 60_000
const accounts = (r: OtelRig, i: number) =>
  `${r.m3ter.apiUrl}/organizations/${r.m3ter.orgId}/accounts?pageSize=${i}`

/** Yields to real I/O (loopback) until `condition` holds; the manual clock does not move meanwhile. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 20_000; turn++) {
    if (condition()) return
    await new Promise((resolve) => setImmediate(resolve))
  }
  throw new Error(`gave up waiting until ${what}`)
}

/** Sends `n` concurrent GETs, each inside its own application span (as an instrumented app would). */
async function burst(r: OtelRig, n: number, first: number): Promise<number[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      r.tracer.startActiveSpan(`call ${first + i}`, async (span) => {
        const res = await r.fetch(accounts(r, first + i))
        span.end()
        return res.status
      }),
    ),
  )
}

/** Cold start with the token request held for 120 ms of clock time: 50 callers wait, then 10 do not. */
async function coldStart(r: OtelRig): Promise<void> {
  r.m3ter.faults.inject('token', { kind: 'hold' })
  const sent = burst(r, 50, 1)
  await until(() => r.m3ter.stats.tokenRequests === 1, 'the token request reached the mock')
  await r.clock.advance(120)
  r.m3ter.faults.release()
  expect(await sent).toEqual(Array(50).fill(200))
  expect(await burst(r, 10, 51)).toEqual(Array(10).fill(200))
}

describe('instrumentM3terAuth: the sample scenarios through the SDK in-memory exporters', () => {
  it('cold start: one token request, one cold refresh, 50 callers waited 0.12 s, then the hot path', async () => {
    const r = await start()
    await coldStart(r)
    const m = await r.metrics()
    const name = { [A.providerName]: 'test-user' }
    expect(m.sum(M.tokenRequests, { ...name, [A.outcome]: 'ok', [A.source]: 'endpoint' })).toBe(1)
    expect(m.sum(M.tokenRequests)).toBe(1)
    expect(m.sum(M.refreshes, { [A.reason]: 'cold' })).toBe(1)
    expect(m.sum(M.refreshes)).toBe(1)
    expect(m.sum(M.rejections)).toBe(0)
    expect(m.histogram(M.tokenRequestDuration, { [A.outcome]: 'ok' })).toMatchObject({ count: 1, sum: 0.12 })
    const waits = m.histogram(M.waitDuration, { [A.outcome]: 'ok' })
    expect(waits.count).toBe(50)
    expect(waits.sum).toBeCloseTo(50 * 0.12, 9)
    expect(m.sum(M.demands, { [A.waited]: true })).toBe(50)
    expect(m.sum(M.demands, { [A.waited]: false })).toBe(10)
    const { expiresAt } = r.auth.snapshot()
    expect(m.gauge(M.timeToExpiry)).toBe(((expiresAt ?? 0) - r.clock.now()) / 1000)
    expect(m.gauge(M.status, { [A.status]: 'fresh' })).toBe(1)
    expect(m.sum(M.status)).toBe(1)

    const [span, ...others] = r.spans()
    expect(others).toHaveLength(0)
    expect(span?.name).toBe(TOKEN_REQUEST_SPAN)
    expect(span?.kind).toBe(SpanKind.CLIENT)
    expect(span?.parentSpanContext).toBeUndefined()
    expect(span?.attributes).toMatchObject({
      [A.providerName]: 'test-user',
      [A.outcome]: 'ok',
      [A.attempt]: 1,
      [A.keySlot]: 0,
      [A.reason]: 'cold',
      [A.source]: 'endpoint',
    })
    expect(span?.duration).toEqual([0, 120_000_000])
    // The organisation attribute is opt-in (orgId): not there without it.
    expect(span?.attributes[A.orgId]).toBeUndefined()
    const points = m.all.flatMap((metric) =>
      metric.dataPoints.map((p: { attributes: object }) => p.attributes),
    )
    expect(points.some((attributes) => A.orgId in attributes)).toBe(false)
    // Linked to the application span of the call that found no token: "call 1", the first of the burst.
    const app = r.applicationSpans().find((s) => s.name === 'call 1')
    expect(span?.links.map((l) => l.context.spanId)).toEqual([app?.spanContext().spanId])
  })

  it('revocation: 20 rejections, one of which leads to the one refresh; the refresh links to that request', async () => {
    const r = await start()
    await coldStart(r)
    r.m3ter.revokeAll()
    expect(await burst(r, 20, 61)).toEqual(Array(20).fill(200))
    const m = await r.metrics()
    expect(m.sum(M.rejections, { [A.refreshed]: true })).toBe(1)
    expect(m.sum(M.rejections, { [A.refreshed]: false })).toBe(19)
    expect(m.sum(M.refreshes, { [A.reason]: 'invalidated' })).toBe(1)
    expect(m.sum(M.tokenRequests, { [A.outcome]: 'ok' })).toBe(2)
    const refresh = r.spans().find((s) => s.attributes[A.reason] === 'invalidated')
    const calls = new Set(
      r
        .applicationSpans()
        .filter((s) => Number(s.name.slice(5)) > 60)
        .map((s) => s.spanContext().spanId),
    )
    expect(refresh?.links.length).toBeGreaterThanOrEqual(1)
    for (const link of refresh?.links ?? []) expect(calls.has(link.context.spanId)).toBe(true)
    expect(refresh?.links.map((l) => l.attributes?.['m3ter_auth.link'])).toContain('demand')
  })

  it('refresh ahead: one refresh "ahead" while 10 callers are served at once, none waits', async () => {
    const r = await start()
    await coldStart(r)
    const before = await r.metrics()
    await r.clock.advanceTo((r.auth.snapshot().expiresAt ?? 0) - MINUTE)
    r.m3ter.faults.inject('token', { kind: 'hold' })
    expect(await burst(r, 10, 61)).toEqual(Array(10).fill(200))
    const during = await r.metrics()
    expect(during.gauge(M.status, { [A.status]: 'refreshing' })).toBe(1)
    expect(during.gauge(M.timeToExpiry)).toBe(60)
    r.m3ter.faults.release()
    await until(() => r.auth.snapshot().generation === 2, 'the background refresh ended')
    const m = await r.metrics()
    expect(m.sum(M.refreshes, { [A.reason]: 'ahead' })).toBe(1)
    expect(m.sum(M.tokenRequests, { [A.outcome]: 'ok' })).toBe(2)
    expect(m.histogram(M.waitDuration).count).toBe(before.histogram(M.waitDuration).count)
    expect(m.sum(M.demands, { [A.waited]: false })).toBe(before.sum(M.demands, { [A.waited]: false }) + 10)
    expect(m.gauge(M.status, { [A.status]: 'fresh' })).toBe(1)
  })

  it('token endpoint outage: each failed attempt counted as unavailable with its status, spans per attempt linked to the first', async () => {
    const r = await start()
    await coldStart(r)
    await r.clock.advanceTo((r.auth.snapshot().expiresAt ?? 0) - 5 * MINUTE)
    r.m3ter.faults.inject('token', { kind: 'status', status: 503 }, { times: 3 })
    expect(await burst(r, 2, 61)).toEqual([200, 200])
    for (let attempt = 1; attempt <= 4 && r.auth.snapshot().generation === 1; attempt++) {
      await until(() => r.auth.snapshot().status !== 'refreshing', `attempt ${attempt} ended`)
      const due = r.clock.nextDue()
      if (due !== undefined && r.auth.snapshot().status === 'backoff') await r.clock.advanceTo(due)
    }
    await until(() => r.auth.snapshot().generation === 2, 'recovered')
    const m = await r.metrics()
    expect(
      m.sum(M.tokenRequests, {
        [A.outcome]: 'unavailable',
        [A.httpStatus]: 503,
        [A.errorType]: 'token_endpoint_unavailable',
      }),
    ).toBe(3)
    expect(m.sum(M.tokenRequests, { [A.outcome]: 'ok' })).toBe(2)
    expect(m.sum(M.refreshes, { [A.reason]: 'ahead' })).toBe(1)
    expect(m.sum(M.refreshes)).toBe(2)
    expect(m.histogram(M.tokenRequestDuration, { [A.outcome]: 'unavailable' }).count).toBe(3)
    const outage = r.spans().slice(1)
    expect(outage.map((s) => s.attributes[A.attempt])).toEqual([1, 2, 3, 4])
    expect(outage.map((s) => s.attributes[A.outcome])).toEqual([
      'unavailable',
      'unavailable',
      'unavailable',
      'ok',
    ])
    expect(outage.map((s) => s.status.code)).toEqual([
      SpanStatusCode.ERROR,
      SpanStatusCode.ERROR,
      SpanStatusCode.ERROR,
      SpanStatusCode.UNSET,
    ])
    expect(outage[0]?.attributes[A.httpStatus]).toBe(503)
    expect(outage[0]?.attributes[A.retryDelay]).toBeGreaterThan(0)
    const first = outage[0]?.spanContext().spanId
    for (const retry of outage.slice(1)) expect(retry.links.map((l) => l.context.spanId)).toContain(first)
  })
})

describe('instrumentM3terAuth: outcomes', () => {
  const cases = [
    { fault: { kind: 'status', status: 401 }, outcome: 'invalid_credentials', status: 401 },
    { fault: { kind: 'html' }, outcome: 'invalid_response', status: 200 },
    { fault: { kind: 'status', status: 500 }, outcome: 'unavailable', status: 500 },
  ] as const
  for (const { fault, outcome, status } of cases)
    it(`${JSON.stringify(fault)} → ${outcome}`, async () => {
      const r = await start({ retry: { maxAttempts: 1 } })
      r.m3ter.faults.inject('token', fault)
      await r.auth.getToken().catch(() => {})
      const m = await r.metrics()
      expect(m.sum(M.tokenRequests, { [A.outcome]: outcome })).toBe(1)
      expect(m.sum(M.tokenRequests)).toBe(1)
      expect(m.histogram(M.waitDuration, { [A.outcome]: outcome }).count).toBe(1)
      expect(m.gauge(M.status, { [A.status]: 'failed' })).toBe(1)
      const [span] = r.spans()
      expect(span?.attributes[A.httpStatus]).toBe(status)
      expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: span?.attributes[A.errorType] })
    })

  it('timeout: an attempt that never answers ends as timeout after timeoutMs of clock time', async () => {
    const r = await start({ retry: { maxAttempts: 1 }, timeoutMs: 2_000 })
    r.m3ter.faults.inject('token', { kind: 'hang' })
    const failed = r.auth.getToken().catch((error: unknown) => error)
    await until(() => r.m3ter.stats.tokenRequests === 1, 'the request reached the mock')
    await r.clock.advance(2_000)
    expect(isM3terAuthError(await failed)).toBe(true)
    const m = await r.metrics()
    expect(m.sum(M.tokenRequests, { [A.outcome]: 'timeout' })).toBe(1)
    expect(m.histogram(M.tokenRequestDuration, { [A.outcome]: 'timeout' })).toMatchObject({
      count: 1,
      sum: 2,
    })
  })

  it('key rotation pair: the secondary key asks after the primary is rejected (key slot 1, never the key id)', async () => {
    const r = await start()
    const [primary] = r.m3ter.keys
    const secondary = r.m3ter.addKey()
    r.auth.setCredentials([
      { accessKeyId: primary?.accessKeyId ?? '', apiSecret: 'not-the-secret' },
      { accessKeyId: secondary.accessKeyId, apiSecret: secondary.apiSecret },
    ])
    await r.auth.getToken()
    const spans = r.spans()
    expect(spans.map((s) => [s.attributes[A.keySlot], s.attributes[A.outcome]])).toEqual([
      [0, 'invalid_credentials'],
      [1, 'ok'],
    ])
    for (const span of spans) expect(JSON.stringify(span.attributes)).not.toContain(secondary.accessKeyId)
  })

  it('stop() ends the recording: no more points, the observable callback removed', async () => {
    const r = await start()
    await coldStart(r)
    r.stop()
    r.m3ter.revokeAll()
    expect(await burst(r, 5, 61)).toEqual(Array(5).fill(200))
    const m = await r.metrics()
    expect(m.sum(M.tokenRequests)).toBe(1)
    expect(m.sum(M.rejections)).toBe(0)
    expect(m.sum(M.refreshes)).toBe(1)
    expect(m.all.find((metric) => metric.descriptor.name === M.demands)?.dataPoints ?? []).toEqual([])
    expect(r.spans()).toHaveLength(1)
  })

  it('refuses what is not a token provider, with invalid_options', () => {
    let error: unknown
    try {
      instrumentM3terAuth({} as TokenProvider)
    } catch (caught) {
      error = caught
    }
    expect(isM3terAuthError(error) && error.code).toBe('invalid_options')
  })
})
