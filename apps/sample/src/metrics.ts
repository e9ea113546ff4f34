import type { TokenProvider } from '@m3ter-auth/core'
import { ATTRIBUTES, instrumentM3terAuth, METRICS } from '@m3ter-auth/otel'
import type { Attributes } from '@opentelemetry/api'
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { formatTable, type Row } from './table.ts'

/**
 * What the mock counted for one adapter's run: the metrics must say the same.
 *
 * @example
 * ```ts
 * await metrics.collect('axios', { tokenRequests: m3ter.stats.tokenRequests, rejections: m3ter.stats.bearerRejections })
 * ```
 */
export interface MockCounts {
  readonly tokenRequests: number
  readonly rejections: number
}

/**
 * `--metrics`: every provider instrumented with @m3ter-auth/otel into the OpenTelemetry SDK, read through the
 * SDK's in-memory exporters (metrics and spans) after each adapter's scenario, printed as one table with a
 * column per adapter, and checked against the mock's own counters.
 *
 * @example
 * ```ts
 * const stop = metrics.instrument(auth, 'ky', clock)
 * await runScenario(ctx)
 * await metrics.collect('ky', counts)
 * stop()
 * const { text, failures } = metrics.report()
 * ```
 */
export interface MetricsRun {
  instrument(auth: TokenProvider, adapter: string, clock: { now(): number }): () => void
  /** Reads what the SDK collected for `adapter`; call before its provider closes, for the gauges. */
  collect(adapter: string, mock: MockCounts): Promise<void>
  report(): { text: string; failures: string[] }
  close(): Promise<void>
}

interface Cell {
  readonly row: string
  readonly order: number
  readonly value: string
}

const ORDER: readonly string[] = Object.values(METRICS)

/**
 * Starts the OpenTelemetry SDK (a MeterProvider and a tracer provider with in-memory exporters) for one run.
 *
 * @example
 * ```ts
 * const metrics = startMetricsRun()
 * try {
 *   // ... each adapter: metrics.instrument, runScenario, metrics.collect ...
 *   console.log(metrics.report().text)
 * } finally {
 *   await metrics.close()
 * }
 * ```
 */
export function startMetricsRun(): MetricsRun {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  // Read on demand only (forceFlush): an hour-long interval never fires during the sample.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const meterProvider = new MeterProvider({ readers: [reader] })
  const spans = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
  const columns: string[] = []
  const cells = new Map<string, Map<string, Cell>>()
  const failures: string[] = []

  function put(adapter: string, cell: Cell): void {
    const byAdapter = cells.get(cell.row) ?? new Map<string, Cell>()
    byAdapter.set(adapter, cell)
    cells.set(cell.row, byAdapter)
  }

  return {
    instrument: (auth, adapter, clock) =>
      instrumentM3terAuth(auth, { meterProvider, tracerProvider, name: adapter, clock }),
    async collect(adapter, mock) {
      columns.push(adapter)
      exporter.reset()
      await reader.forceFlush()
      const mine = (attributes: Attributes) => attributes[ATTRIBUTES.providerName] === adapter
      const metrics = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
      // The status gauge has a point per status; the one at 1 says it all.
      for (const metric of metrics)
        for (const point of metric.dataPoints)
          if (mine(point.attributes) && !(metric.descriptor.name === METRICS.status && point.value === 0))
            put(adapter, cellOf(metric, point.attributes, point.value))
      const finished = spans.getFinishedSpans().filter((s) => mine(s.attributes))
      const byOutcome = new Map<string, number>()
      for (const span of finished) {
        const outcome = String(span.attributes[ATTRIBUTES.outcome])
        byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1)
      }
      for (const [outcome, n] of byOutcome)
        put(adapter, {
          row: `span m3ter_auth.token_request  outcome=${outcome}`,
          order: ORDER.length,
          value: String(n),
        })

      // The metrics against the mock's word: token requests and the API's rejections, counted both sides.
      const sum = (name: string) =>
        metrics
          .filter((m) => m.descriptor.name === name)
          .flatMap((m): { attributes: Attributes; value: unknown }[] => m.dataPoints)
          .filter((p) => mine(p.attributes) && p.attributes[ATTRIBUTES.source] !== 'store')
          .reduce((n, p) => n + (p.value as number), 0)
      const requests = sum(METRICS.tokenRequests)
      const rejections = sum(METRICS.rejections)
      if (requests !== mock.tokenRequests)
        failures.push(
          `${adapter}: ${requests} token requests in the metrics, ${mock.tokenRequests} at the mock`,
        )
      if (rejections !== mock.rejections)
        failures.push(
          `${adapter}: ${rejections} rejections in the metrics, ${mock.rejections} 403s at the mock`,
        )
      if (finished.length !== mock.tokenRequests)
        failures.push(`${adapter}: ${finished.length} token request spans, ${mock.tokenRequests} at the mock`)
    },
    report() {
      const rows: Row[] = [...cells.entries()]
        .sort(([a, x], [b, y]) => first(x).order - first(y).order || a.localeCompare(b))
        .map(([row, byAdapter]) => {
          const [name, attributes = ''] = row.split('  ')
          return [name ?? row, attributes, ...columns.map((c) => byAdapter.get(c)?.value ?? '')]
        })
      const text = formatTable(
        [
          { heading: 'metric' },
          { heading: 'attributes' },
          ...columns.map((heading) => ({ heading, right: true })),
        ],
        rows,
      )
      return { text, failures }
    },
    async close() {
      await meterProvider.shutdown()
      await tracerProvider.shutdown()
    },
  }
}

function first(byAdapter: Map<string, Cell>): Cell {
  return byAdapter.values().next().value as Cell
}

// Attribute keys without the namespace, for a table a person reads; the provider name is the column.
function attributesText(attributes: Attributes): string {
  return Object.entries(attributes)
    .filter(([key]) => key !== ATTRIBUTES.providerName)
    .map(([key, value]) => `${key.replace(/^m3ter_auth\./, '')}=${String(value)}`)
    .sort()
    .join(' ')
}

function cellOf(metric: MetricData, attributes: Attributes, value: unknown): Cell {
  const name = metric.descriptor.name
  const row = `${name}  ${attributesText(attributes)}`
  const order = ORDER.indexOf(name)
  if (metric.dataPointType !== DataPointType.HISTOGRAM)
    return { row, order, value: formatNumber(value as number, metric.descriptor.unit) }
  const histogram = value as {
    count: number
    sum?: number
    buckets: { boundaries: number[]; counts: number[] }
  }
  const zeros = histogram.buckets.boundaries[0] === 0 ? ` (${histogram.buckets.counts[0] ?? 0} zero)` : ''
  return { row, order, value: `${histogram.count}× Σ${(histogram.sum ?? 0).toFixed(3)} s${zeros}` }
}

function formatNumber(value: number, unit: string): string {
  return unit === 's' ? `${value.toFixed(1)} s` : String(value)
}
