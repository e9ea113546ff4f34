import type { TokenProvider, TokenProviderOptions } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { instrumentM3terAuth } from '@m3ter-auth/otel'
import {
  createManualClock,
  createProviderFor,
  type ManualClock,
  type MockM3ter,
  startMockM3ter,
} from '@m3ter-auth/testkit'
import { type Attributes, context, type Tracer } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'

/** What the SDK's in-memory metric exporter holds after a flush, with helpers to read it. */
export interface Metrics {
  readonly all: readonly MetricData[]
  /** Sum of a counter's (or observable's) points whose attributes include `where`. */
  sum(name: string, where?: Attributes): number
  /** The gauge's value for the point whose attributes include `where`; undefined when there is none. */
  gauge(name: string, where?: Attributes): number | undefined
  /** A histogram's count, sum and bucket counts over the points whose attributes include `where`. */
  histogram(name: string, where?: Attributes): { count: number; sum: number; zeros: number }
}

export interface OtelRig {
  readonly m3ter: MockM3ter
  readonly clock: ManualClock
  readonly auth: TokenProvider
  readonly tracer: Tracer
  /** `fetch` through the real fetch adapter. */
  readonly fetch: typeof globalThis.fetch
  metrics(): Promise<Metrics>
  /** The token request spans (this package's scope). */
  spans(): ReadableSpan[]
  /** The application's own spans (the `tracer` above). */
  applicationSpans(): ReadableSpan[]
  /** What instrumentM3terAuth returned. */
  stop(): void
  close(): Promise<void>
}

const contextManager = new AsyncLocalStorageContextManager()

/** A provider on a mock m3ter (manual clock), instrumented into an SDK with in-memory exporters. */
export async function otelRig(options: Partial<TokenProviderOptions> = {}): Promise<OtelRig> {
  // The application's context manager: it carries the active span into getToken, for the links.
  context.setGlobalContextManager(contextManager.enable())
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const auth = createProviderFor(m3ter, { clock, random: () => 0.5, ...options })
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const meterProvider = new MeterProvider({ readers: [reader] })
  const spanExporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] })
  const stop = instrumentM3terAuth(auth, { meterProvider, tracerProvider, name: 'test-user', clock })
  return {
    m3ter,
    clock,
    auth,
    tracer: tracerProvider.getTracer('the-application'),
    fetch: withM3terAuth(auth),
    async metrics() {
      exporter.reset()
      await reader.forceFlush()
      return readMetrics(exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)))
    },
    spans: () =>
      spanExporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === '@m3ter-auth/otel'),
    applicationSpans: () =>
      spanExporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === 'the-application'),
    stop,
    async close() {
      stop()
      await auth.close()
      await meterProvider.shutdown()
      await tracerProvider.shutdown()
      await m3ter.close()
      context.disable()
    },
  }
}

function matches(attributes: Attributes, where: Attributes): boolean {
  return Object.entries(where).every(([key, value]) => attributes[key] === value)
}

export function readMetrics(all: readonly MetricData[]): Metrics {
  const points = (name: string, where: Attributes) => {
    const metric = all.find((m) => m.descriptor.name === name)
    return { metric, points: (metric?.dataPoints ?? []).filter((p) => matches(p.attributes, where)) }
  }
  return {
    all,
    sum: (name, where = {}) => points(name, where).points.reduce((n, p) => n + (p.value as number), 0),
    gauge: (name, where = {}) => points(name, where).points[0]?.value as number | undefined,
    histogram(name, where = {}) {
      const { metric, points: found } = points(name, where)
      if (metric && metric.dataPointType !== DataPointType.HISTOGRAM)
        throw new Error(`${name} is no histogram`)
      let count = 0
      let sum = 0
      let zeros = 0
      for (const point of found) {
        const value = point.value as {
          count: number
          sum?: number
          buckets: { boundaries: number[]; counts: number[] }
        }
        count += value.count
        sum += value.sum ?? 0
        // With a boundary at 0 the first bucket, (-inf, 0], counts the waits that were none at all.
        if (value.buckets.boundaries[0] === 0) zeros += value.buckets.counts[0] ?? 0
      }
      return { count, sum, zeros }
    },
  }
}
