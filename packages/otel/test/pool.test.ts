import { createTokenPool } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { ATTRIBUTES as A, instrumentM3terAuth, METRICS as M } from '@m3ter-auth/otel'
import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { expect, it } from 'vitest'
import { readMetrics } from './rig.ts'

// A pool's members instrumented as they join, each with the opt-in organisation attribute: the README recipe.
it('the members of a pool, instrumented with orgId, are told apart on every point and span', async () => {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock, organizations: [{ orgId: 'org-a' }, { orgId: 'org-b' }] })
  const keys = new Map(m3ter.organizations.map(({ orgId, keys: [key] }) => [orgId, key]))
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const meterProvider = new MeterProvider({ readers: [reader] })
  const spanExporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] })
  const stops = new Map<string, () => void>()
  const pool = createTokenPool({
    credentialsFor: (orgId) => keys.get(orgId),
    tokenUrl: m3ter.tokenUrl,
    scope: [m3ter.apiUrl],
    clock,
    onEvent: async (event) => {
      if (event.type === 'pool_member_added') {
        const member = await pool.for(event.orgId)
        if (member)
          stops.set(
            event.orgId,
            instrumentM3terAuth(member, { meterProvider, tracerProvider, clock, orgId: event.orgId }),
          )
      }
    },
  })
  try {
    const m3terFetch = withM3terAuth(pool)
    for (const orgId of ['org-a', 'org-b', 'org-b'])
      expect((await m3terFetch(`${m3ter.apiUrl}/organizations/${orgId}/meters`)).status).toBe(200)
    await reader.forceFlush()
    const m = readMetrics(exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)))
    expect(m.sum(M.tokenRequests, { [A.orgId]: 'org-a' })).toBe(1)
    expect(m.sum(M.tokenRequests, { [A.orgId]: 'org-b' })).toBe(1)
    expect(m.gauge(M.status, { [A.orgId]: 'org-b', [A.status]: 'fresh' })).toBe(1)
    const spans = spanExporter.getFinishedSpans().map((span) => span.attributes[A.orgId])
    expect(spans.sort()).toEqual(['org-a', 'org-b'])
  } finally {
    for (const stop of stops.values()) stop()
    await pool.close()
    await meterProvider.shutdown()
    await tracerProvider.shutdown()
    await m3ter.close()
  }
})
