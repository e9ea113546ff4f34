import { createTokenProvider } from '@m3ter-auth/core'
import { createManualClock, startForeignServer, startMockM3ter } from '@m3ter-auth/testkit'
import { ADAPTERS, type AdapterName, drivers } from './drivers.ts'
import { createEventLog } from './evidence.ts'
import { runScenario, type StepResult } from './scenario.ts'
import { formatTable, type Row } from './table.ts'

/**
 * What `sample` was asked for on the command line.
 *
 * @example
 * ```ts
 * // node apps/sample/dist/main.js --adapter fetch --adapter ky --metrics
 * const options: MockRunOptions = { adapters: ['fetch', 'ky'], metrics: true }
 * ```
 */
export interface MockRunOptions {
  readonly adapters?: readonly AdapterName[]
  readonly injectLeak?: boolean
  /** Instrument every provider with @m3ter-auth/otel and print what the OpenTelemetry SDK collected. */
  readonly metrics?: boolean
}

/**
 * Drives every adapter through the scenario against the embedded mock m3ter and prints the table.
 * Returns the exit code: 0 when every expectation held, 1 otherwise.
 *
 * @example
 * ```ts
 * process.exitCode = await runAgainstMock({ adapters: ['undici'] })
 * ```
 */
export async function runAgainstMock(options: MockRunOptions = {}): Promise<number> {
  const started = performance.now()
  // One clock for the mock and every provider: hours of token lifetime pass in no time, and both sides
  // agree on when a token expires.
  const clock = createManualClock()
  // Three organisations besides the mock's own, each with its own Service User: the many-organisations step.
  const m3ter = await startMockM3ter({
    clock,
    organizations: [{ orgId: 'org-b' }, { orgId: 'org-c' }, { orgId: 'org-d' }],
  })
  const foreign = await startForeignServer()
  const [key] = m3ter.keys
  if (!key) throw new Error('the mock has no access key')
  const results: { adapter: AdapterName; steps: StepResult[] }[] = []
  // Loaded only when asked for: the OpenTelemetry SDK is no part of the plain demo.
  const metrics = options.metrics ? (await import('./metrics.ts')).startMetricsRun() : undefined
  try {
    for (const adapter of options.adapters ?? ADAPTERS) {
      // Every adapter starts from zero: fresh counters, log and revocations, a cold provider.
      m3ter.reset()
      foreign.reset()
      const events = createEventLog()
      const auth = createTokenProvider({
        credentials: key,
        tokenUrl: m3ter.tokenUrl,
        scope: [m3ter.apiUrl, m3ter.ingestUrl],
        clock,
        // Fixed jitter: the same refresh points and backoff delays, so the same table, on every run.
        random: () => 0.5,
        onEvent: events.onEvent,
      })
      const driver = drivers[adapter](auth)
      const uninstrument = metrics?.instrument(auth, adapter, clock)
      try {
        results.push({
          adapter,
          steps: await runScenario({
            m3ter,
            foreign,
            clock,
            auth,
            driver,
            driverFor: drivers[adapter],
            events,
            injectLeak: options.injectLeak === true,
          }),
        })
        await metrics?.collect(adapter, {
          // The instrumented provider's own key: the many-organisations step's pool has keys of its own.
          tokenRequests: m3ter.stats.tokenRequestsByKey[key.accessKeyId] ?? 0,
          rejections: m3ter.stats.bearerRejections,
        })
      } finally {
        uninstrument?.()
        await driver.close()
        await auth.close()
      }
    }
  } finally {
    await metrics?.close()
    await foreign.close()
    await m3ter.close()
  }

  const rows: Row[] = []
  for (const { adapter, steps } of results) {
    if (rows.length > 0) rows.push('---')
    steps.forEach((step, i) => {
      const e = step.evidence
      rows.push([
        i === 0 ? adapter : '',
        `${i + 1} ${step.title}`,
        step.happened,
        String(e.requests),
        String(e.rejections),
        String(e.tokenRequests),
        String(e.retries),
        String(e.leaks),
        step.failures.length === 0 ? 'ok' : 'FAIL',
      ])
    })
  }
  const metricsReport = metrics?.report()
  const failures = results.flatMap(({ adapter, steps }) =>
    steps.flatMap((step) => step.failures.map((f) => `  ${adapter} / ${step.title}: ${f}`)),
  )
  const count = results.reduce((n, r) => n + r.steps.length, 0)
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  console.log(
    'm3ter-auth sample: every adapter against the embedded mock m3ter (manual clock, counters from the mock)\n',
  )
  console.log(
    formatTable(
      [
        { heading: 'adapter' },
        { heading: 'step' },
        { heading: 'what happened' },
        { heading: 'req', right: true },
        { heading: '403', right: true },
        { heading: 'token req', right: true },
        { heading: 'retries', right: true },
        { heading: 'leaks', right: true },
        { heading: '' },
      ],
      rows,
    ),
  )
  console.log('')
  if (metricsReport) {
    console.log(
      'OpenTelemetry metrics and spans from @m3ter-auth/otel, read through the SDK in-memory exporters (a column per\n' +
        "adapter). Durations are on the mock's manual clock, which stands still while a request is answered.\n",
    )
    console.log(metricsReport.text)
    console.log('')
    if (metricsReport.failures.length === 0)
      console.log("The metrics agree with the mock's counters (token requests, 403s, spans).\n")
    failures.push(...metricsReport.failures.map((f) => `  metrics: ${f}`))
  }
  if (failures.length === 0) {
    console.log(`All ${count} checks passed in ${seconds} s.`)
    return 0
  }
  console.log(`${failures.length} expectation(s) failed:\n${failures.join('\n')}`)
  return 1
}
