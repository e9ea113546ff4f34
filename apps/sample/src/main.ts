import { parseArgs } from 'node:util'
import { ADAPTERS, type AdapterName } from './drivers.ts'
import { runLive } from './live.ts'
import { runAgainstMock } from './mock-run.ts'
import { oneLine } from './scenario.ts'

const HELP = `m3ter-auth sample: runs every adapter (fetch, axios, got, ky, undici) through one scenario.

Usage:
  node apps/sample/dist/main.js            against the embedded mock m3ter (no network, a few seconds)
  node apps/sample/dist/main.js --live     read-only calls to real m3ter with M3TER_API_KEY,
                                           M3TER_API_SECRET, M3TER_ORG_ID (and M3TER_BASE_URL)

Options:
  --live                 real m3ter instead of the mock
  --token-url URL        token endpoint for --live (default: M3TER_BASE_URL + /oauth/token)
  --adapter NAME         only this adapter (repeatable)
  --inject-leak          self-test: send the bearer to the foreign host by hand; the run must fail
  --metrics              instrument the providers with @m3ter-auth/otel and print the OpenTelemetry
                         metrics and spans collected (SDK in-memory exporters) after the scenario
  -h, --help

Exit codes: 0 every expectation held, 1 an expectation failed, 2 usage or credentials, 3 network.`

async function main(): Promise<number> {
  let values: ReturnType<typeof parse>['values']
  try {
    values = parse().values
  } catch (error) {
    console.error(`sample: ${oneLine(error)} (see --help)`)
    return 2
  }
  if (values.help) {
    console.log(HELP)
    return 0
  }
  const adapters = values.adapter ?? [...ADAPTERS]
  const unknown = adapters.find((name) => !(ADAPTERS as readonly string[]).includes(name))
  if (unknown !== undefined) {
    console.error(`sample: unknown adapter "${unknown}"; choose from ${ADAPTERS.join(', ')}`)
    return 2
  }
  const chosen = adapters as AdapterName[]
  if (values.live) return runLive(process.env, { adapters: chosen, tokenUrl: values['token-url'] })
  return runAgainstMock({
    adapters: chosen,
    injectLeak: values['inject-leak'] === true,
    metrics: values.metrics === true,
  })
}

function parse() {
  return parseArgs({
    options: {
      live: { type: 'boolean' },
      'token-url': { type: 'string' },
      adapter: { type: 'string', multiple: true },
      'inject-leak': { type: 'boolean' },
      metrics: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    // Whatever went wrong, one line: a stack trace helps nobody who runs a sample.
    console.error(`sample: ${oneLine(error)}`)
    process.exitCode = 1
  },
)
