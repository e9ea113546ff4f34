// @m3ter-auth/otel's cost on the hot path, measured side by side in one run:
// a fresh getToken() on a provider instrumented into the OpenTelemetry SDK (a MeterProvider and a
// BasicTracerProvider with in-memory exporters) against the same call on a plain provider. Target: the
// instrumented one keeps >= 0.95 of the plain one's throughput. For scale it also prints what recording
// one zero into a histogram per call (the obvious way to show hot-path waits) would cost instead.
// Run: node bench/otel.bench.mjs (after a build). Exits non-zero when the target is missed.
import { createRequire } from 'node:module'
import { createTokenProvider } from '@m3ter-auth/core'
import { startMockM3ter } from '@m3ter-auth/testkit'

// The SDK and the package come from packages/otel (its dev dependencies), so bench/ needs no new ones.
const fromOtel = createRequire(new URL('../packages/otel/package.json', import.meta.url))
const load = (name) => import(fromOtel.resolve(name))
const { instrumentM3terAuth } = await import(new URL('../packages/otel/dist/index.js', import.meta.url).href)
const { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } =
  await load('@opentelemetry/sdk-metrics')
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await load(
  '@opentelemetry/sdk-trace-base',
)

const m3ter = await startMockM3ter()
const options = { credentials: m3ter.keys[0], tokenUrl: m3ter.tokenUrl, scope: [m3ter.apiUrl] }
const plain = createTokenProvider(options)
const instrumented = createTokenProvider(options)
const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
const meterProvider = new MeterProvider({ readers: [reader] })
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
})
const stop = instrumentM3terAuth(instrumented, { meterProvider, tracerProvider, name: 'bench' })
await plain.getToken()
await instrumented.getToken()

let failed = false
const report = (ok, line) => {
  failed ||= !ok
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${line}`)
}

const CALLS = 200_000
async function timeIt(fn) {
  const started = performance.now()
  for (let i = 0; i < CALLS; i++) await fn()
  return performance.now() - started
}

/** Median over interleaved rounds of (time of a) / (time of b), and the median ns per call of each. */
async function compare(a, b) {
  for (let i = 0; i < 3; i++) {
    await timeIt(a)
    await timeIt(b)
  }
  const ratios = []
  const times = { a: [], b: [] }
  for (let round = 0; round < 15; round++) {
    const [x, y] = round % 2 ? [a, b] : [b, a]
    const tx = await timeIt(x)
    const ty = await timeIt(y)
    const [ta, tb] = x === a ? [tx, ty] : [ty, tx]
    ratios.push(ta / tb)
    times.a.push((ta * 1e6) / CALLS)
    times.b.push((tb * 1e6) / CALLS)
  }
  const median = (list) => [...list].sort((p, q) => p - q)[list.length >> 1]
  return { ratio: median(ratios), a: median(times.a), b: median(times.b), ratios }
}

// Throughput ratio on/off = time(off) / time(on).
const hot = await compare(
  () => plain.getToken(),
  () => instrumented.getToken(),
)
report(
  hot.ratio >= 0.95,
  `fresh getToken() instrumented vs plain: throughput ratio ${hot.ratio.toFixed(3)} (target >= 0.95; ${hot.b.toFixed(1)} vs ${hot.a.toFixed(1)} ns per call)`,
)

// The same comparison between two plain providers: the noise floor (and any bias of position) of this run.
const control = createTokenProvider(options)
await control.getToken()
const same = await compare(
  () => plain.getToken(),
  () => control.getToken(),
)
console.log(
  `info two plain providers, the same way: ratio ${same.ratio.toFixed(3)} (the noise floor of this run)`,
)

const histogram = meterProvider.getMeter('bench').createHistogram('bench.wait', { unit: 's' })
const attributes = { 'm3ter_auth.provider.name': 'bench' }
const perCall = await compare(
  () => plain.getToken(),
  () => {
    histogram.record(0, attributes)
    return plain.getToken()
  },
)
console.log(
  `info recording a zero wait per call instead would give a ratio of ${perCall.ratio.toFixed(3)} (${perCall.b.toFixed(1)} vs ${perCall.a.toFixed(1)} ns per call)`,
)

stop()
await meterProvider.shutdown()
await tracerProvider.shutdown()
await plain.close()
await control.close()
await instrumented.close()
await m3ter.close()
process.exitCode = failed ? 1 : 0
