// node main.mjs: m3ter-auth's OpenTelemetry metrics on a Prometheus scrape endpoint.
//
//   npm i @m3ter-auth/core @m3ter-auth/fetch @m3ter-auth/otel \
//         @opentelemetry/api @opentelemetry/sdk-metrics @opentelemetry/exporter-prometheus
//   M3TER_API_KEY=… M3TER_API_SECRET=… M3TER_ORG_ID=… node main.mjs
//   curl http://localhost:9464/metrics
//
// Lists the organisation's meters now and once a minute (the traffic), and serves the metrics of its token
// provider at /metrics until interrupted. Versions that install together on Node 20: @opentelemetry/api 1.9,
// sdk-metrics 2.12, exporter-prometheus 0.223.
import { createTokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { instrumentM3terAuth } from '@m3ter-auth/otel'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import { MeterProvider } from '@opentelemetry/sdk-metrics'

const port = Number(process.env.METRICS_PORT ?? 9464)
const base = process.env.M3TER_BASE_URL ?? 'https://api.m3ter.com'
const orgId = process.env.M3TER_ORG_ID
if (!orgId) throw new Error('set M3TER_ORG_ID (the m3ter organization id)')

// The exporter is a metric reader that serves what it reads on its own HTTP server.
const exporter = new PrometheusExporter({ port, host: '127.0.0.1' })
const meterProvider = new MeterProvider({ readers: [exporter] })

const auth = createTokenProvider({
  tokenUrl: process.env.M3TER_TOKEN_URL ?? `${base}/oauth/token`,
  // The API origin and the ingest origin: measurements need the bearer too.
  scope: [base, process.env.M3TER_INGEST_URL ?? base.replace('://api.', '://ingest.')],
})
const stop = instrumentM3terAuth(auth, { meterProvider, name: 'example' })
const m3terFetch = withM3terAuth(auth)

async function listMeters() {
  let meters = 0
  let next = ''
  while (next !== undefined) {
    const query = `pageSize=100${next ? `&nextToken=${encodeURIComponent(next)}` : ''}`
    const res = await m3terFetch(`${base}/organizations/${orgId}/meters?${query}`)
    if (!res.ok) throw new Error(`GET meters answered ${res.status}`)
    const page = await res.json()
    meters += page.data.length
    next = page.nextToken
  }
  return meters
}

console.log(`meters: ${await listMeters()}`)
console.log(`scrape: http://127.0.0.1:${port}/metrics`)
const traffic = setInterval(() => listMeters().catch((error) => console.error(error.message)), 60_000)

for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, async () => {
    clearInterval(traffic)
    stop()
    await auth.close()
    await meterProvider.shutdown() // also stops the exporter's server
  })
