import type { Logger, TokenProvider } from '@m3ter-auth/core'
import { instrumentM3terAuth } from '@m3ter-auth/otel'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'

/** A label and a rendering, for the leak scanner. */
export interface Sample {
  readonly where: string
  readonly value: unknown
}

/** A logger (console/pino/winston shaped) that keeps every line it is given, message and fields. */
export function recordingLogger(): Logger & { readonly lines: Sample[] } {
  const lines: Sample[] = []
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    void lines.push({ where: `log line (${level})`, value: { message, fields } })
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

/**
 * A provider instrumented with @m3ter-auth/otel into the OpenTelemetry SDK, read through its in-memory
 * exporters: `samples()` gives every exported metric point's attributes (and the metric's descriptor), and
 * every span's name, attributes, events, links and status, for the scanner.
 */
export function telemetryOf(auth: TokenProvider, clock: { now(): number }) {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const meterProvider = new MeterProvider({ readers: [reader] })
  const spans = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
  const stop = instrumentM3terAuth(auth, { meterProvider, tracerProvider, name: 'leak-scan', clock })
  return {
    async samples(): Promise<Sample[]> {
      await reader.forceFlush()
      const out: Sample[] = []
      for (const resource of exporter.getMetrics())
        for (const scope of resource.scopeMetrics)
          for (const metric of scope.metrics) {
            out.push({ where: `metric ${metric.descriptor.name}`, value: metric.descriptor })
            for (const point of metric.dataPoints)
              out.push({ where: `metric attributes ${metric.descriptor.name}`, value: point.attributes })
          }
      for (const span of spans.getFinishedSpans()) {
        out.push({ where: `span name`, value: span.name })
        out.push({ where: `span attributes ${span.name}`, value: span.attributes })
        out.push({ where: `span status ${span.name}`, value: span.status })
        for (const event of span.events) out.push({ where: `span event ${span.name}`, value: event })
        for (const link of span.links)
          out.push({ where: `span link ${span.name}`, value: link.attributes ?? {} })
      }
      return out
    },
    async close(): Promise<void> {
      stop()
      await meterProvider.shutdown()
      await tracerProvider.shutdown()
    },
  }
}
