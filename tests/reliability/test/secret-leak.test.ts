import { findM3terAuthError } from '@m3ter-auth/core'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ADAPTERS, type AdapterName } from './support/drivers.ts'
import { captureConsole, type Hit } from './support/leaks.ts'
import { createRig, outcome, type Rig } from './support/rig.ts'
import { recordingLogger, type Sample, telemetryOf } from './support/telemetry.ts'
import { trackUnhandled, turn } from './support/unhandled.ts'

// Part 2 of issue 7: whatever a user may print (error, event, log line, JSON.stringify, util.inspect) of
// anything this suite touches must not show the API secret, the Basic header value, or any token the mock
// issued. Each adapter is put through the paths that make errors: token endpoint failures, API errors
// turned into the client's own error objects, dropped API connections, and a refused token.

/**
 * Adapters whose client error objects would show the bearer. This suite found two, now fixed: AxiosError
 * (config.headers, and `request` whose raw head util.inspect prints) and ky 1's HTTPError (`request`, whose
 * headers util.inspect prints); both adapters now take the bearer out of what a logged error shows.
 * got (beforeError deletes the header), undici (ResponseError) and fetch (TypeError) were clean.
 * Deeper down, Node's clients keep the raw request head (ClientRequest._header) reachable from their
 * errors (got's HTTPError.response.req); only `util.inspect(err, { showHidden: true })` or a deeper depth
 * prints it. No adapter can scrub Node's internals: not counted.
 */
const BEARER_IN_CLIENT_ERRORS = new Set<AdapterName>([])

const unhandled = trackUnhandled()
const findings = new Map<AdapterName, Hit[]>()
const deepFindings = new Map<AdapterName, Hit[]>()
let console_: ReturnType<typeof captureConsole>

beforeEach(() => {
  console_ = captureConsole()
})
afterEach(() => {
  console_.restore()
})
afterAll(() => {
  unhandled.stop()
  for (const [adapter, hits] of findings) {
    const deep = deepFindings.get(adapter) ?? []
    const where = (list: Hit[]) =>
      list.length === 0
        ? 'none'
        : [...new Set(list.map((hit) => hit.before.slice(-Number(process.env.LEAK_CONTEXT ?? 40))))].join(
            ' | ',
          )
    console.log(
      `secret leak: ${adapter}: bearer in client errors (JSON/console.log): ${where(hits)}; at depth 12: ${where(deep)}`,
    )
  }
})

/** Touches every object a user would get from `promise`: the value or the error, and the auth error inside. */
async function touchOutcome(rig: Rig, label: string, promise: Promise<unknown>): Promise<void> {
  const result = await outcome(rig.settle(promise))
  if (result.error !== undefined) {
    rig.leaks.touch(`client error: ${label}`, result.error, false)
    rig.leaks.touch(`deep client error: ${label}`, result.error, true)
    // What a user logs after unwrapping the client's error.
    const authError = findM3terAuthError(result.error)
    if (authError) rig.leaks.touch(`auth error: ${label}`, authError)
    // A log line as an app would write it: the message and the typed error.
    console.error(`request failed (${label}): ${(result.error as Error).message}`, authError)
  } else {
    rig.leaks.touch(`client answer: ${label}`, result.value)
  }
}

async function exercise(rig: Rig): Promise<void> {
  const { m3ter, driver } = rig
  // Token endpoint failures, each surfacing through the client's error path.
  for (const [label, fault] of [
    ['token 401', { kind: 'status', status: 401 }],
    ['token html', { kind: 'html' }],
    ['token non-json', { kind: 'non-json' }],
    ['token expires_in 0', { kind: 'expires-in', expiresIn: 0 }],
    ['token mac', { kind: 'token-type', tokenType: 'mac' }],
  ] as const) {
    m3ter.faults.inject('token', fault, { times: Number.POSITIVE_INFINITY })
    await touchOutcome(rig, label, driver.request(rig.meters()))
    m3ter.faults.clear()
    // Past any cooldown, so the next label starts from a clean provider.
    await rig.clock.advance(120_000)
  }
  m3ter.faults.inject('token', { kind: 'status', status: 503 }, { times: Number.POSITIVE_INFINITY })
  await touchOutcome(rig, 'token 503 for good', driver.request(rig.meters()))
  m3ter.faults.clear()
  m3ter.faults.inject('token', { kind: 'hang' }, { times: Number.POSITIVE_INFINITY })
  await touchOutcome(rig, 'token hang', driver.request(rig.meters()))
  m3ter.faults.clear()

  // With a token: API errors the client turns into its own error object (request options included).
  await touchOutcome(rig, 'api ok', driver.request(rig.meters()))
  m3ter.faults.inject('api', { kind: 'status', status: 500 })
  await touchOutcome(
    rig,
    'api 500 (client error)',
    driver.request({ ...rig.meters(), throwHttpErrors: true }),
  )
  m3ter.faults.inject('api', { kind: 'status', status: 404 })
  await touchOutcome(
    rig,
    'api 404 POST (client error)',
    driver.request({ ...rig.meters(), method: 'POST', body: '{"a":1}', throwHttpErrors: true }),
  )
  m3ter.faults.inject('api', { kind: 'drop' })
  await touchOutcome(rig, 'api drop (network error)', driver.request(rig.meters()))
  // A refused token twice: the caller gets the second 403 (as the client's error where it makes one).
  m3ter.faults.inject('api', { kind: 'status', status: 403 }, { times: 2 })
  await touchOutcome(
    rig,
    'api 403 twice (client error)',
    driver.request({ ...rig.meters(), throwHttpErrors: true }),
  )
  await touchOutcome(rig, 'api ok again', driver.request(rig.meters()))
  const controller = new AbortController()
  const aborted = driver.request({ ...rig.meters(), signal: controller.signal })
  controller.abort()
  await touchOutcome(rig, 'aborted by the caller', aborted)
  rig.leaks.touch('mock stats', m3ter.stats)
}

describe.each(ADAPTERS)('%s', (adapter) => {
  it('never shows the API secret, the Basic value or a token outside the client errors', async () => {
    const before = unhandled.seen.length
    // The debug log and the OpenTelemetry export are scanned too: every log line, metric attribute, span
    // attribute, span event, link and status.
    const logger = recordingLogger()
    const rig = await createRig(adapter, { provider: { logger } })
    const telemetry = telemetryOf(rig.auth, rig.clock)
    let exported: Sample[] = []
    try {
      await exercise(rig)
      exported = await telemetry.samples()
    } finally {
      await telemetry.close()
      await rig.close()
    }
    for (const line of console_.lines) rig.leaks.touch('console', line)
    for (const { where, value } of [...logger.lines, ...exported]) rig.leaks.touch(where, value)
    // One line per decision; the exercise makes more than ten (fewer since a give-up cools down).
    expect(logger.lines.length).toBeGreaterThan(10)
    expect(exported.filter((s) => s.where.startsWith('span attributes')).length).toBeGreaterThan(3)
    expect(exported.filter((s) => s.where.startsWith('metric attributes')).length).toBeGreaterThan(10)
    expect(rig.m3ter.issuedTokens.length + rig.leaks.sampleCount).toBeGreaterThan(20)
    const hits = rig.leaks.scan()
    findings.set(
      adapter,
      hits.filter((hit) => hit.where.startsWith('client error')),
    )
    deepFindings.set(
      adapter,
      hits.filter((hit) => hit.where.startsWith('deep client error')),
    )
    // The API secret and the Basic value: nowhere, not even inside a client's own error object.
    expect(hits.filter((hit) => hit.kind !== 'issued token')).toEqual([])
    // Tokens: not in anything m3ter-auth makes (errors, events, provider, snapshots) nor in log lines.
    expect(hits.filter((hit) => !hit.where.includes('client error'))).toEqual([])
    await turn()
    expect(unhandled.seen.slice(before)).toEqual([])
  })

  // A known leak is kept as a failing expectation (it.fails) until its adapter is fixed; see the bugs below.
  const check = BEARER_IN_CLIENT_ERRORS.has(adapter) ? it.fails : it
  check("client error objects (the client's own, as a user logs them) carry no bearer token", () => {
    // Filled by the test above: the client's error objects rendered with JSON.stringify and util.inspect.
    expect(findings.get(adapter)).toEqual([])
  })
})
