import { createTokenPool, type TokenPool, type TokenProvider } from '@m3ter-auth/core'
import { decodeJwtClaims, type ForeignServer, type ManualClock, type MockM3ter } from '@m3ter-auth/testkit'
import type { Answer, Driver } from './drivers.ts'
import { type Counters, difference, type EventLog, eventually, readCounters, within } from './evidence.ts'

/**
 * Everything a step works with: one adapter's driver over one provider, and the servers it talks to.
 *
 * @example
 * ```ts
 * const ctx: Context = { m3ter, foreign, clock, auth, driver: drivers[adapter](auth), driverFor: drivers[adapter], events, injectLeak: false }
 * ```
 */
export interface Context {
  readonly m3ter: MockM3ter
  readonly foreign: ForeignServer
  readonly clock: ManualClock
  readonly auth: TokenProvider
  readonly driver: Driver
  /** The same adapter over another provider or a pool (the many-organisations step). */
  readonly driverFor: (auth: TokenProvider | TokenPool) => Driver
  readonly events: EventLog
  /** Self-test: send the bearer to the foreign host by hand, which the leak counter must catch. */
  readonly injectLeak: boolean
}

/**
 * One claim of the scenario: what it does, and the counters the servers must show after it.
 *
 * @example
 * ```ts
 * const warm: Step = {
 *   title: 'warm calls',
 *   expect: { requests: 10, tokenRequests: 0 },
 *   async run({ driver, m3ter }) {
 *     const urls = Array.from({ length: 10 }, (_, i) => accountsUrl(m3ter, i + 1))
 *     const answers = await Promise.all(urls.map((url) => driver.send('GET', url)))
 *     return { happened: tally(answers), failures: allOk(answers) }
 *   },
 * }
 * ```
 */
export interface Step {
  readonly title: string
  /** Counters the servers must show; `leaks` is always expected to be 0. */
  readonly expect: Partial<Counters>
  run(ctx: Context): Promise<{ happened: string; failures: string[] }>
}

/**
 * One step as it went: a row of the printed table.
 *
 * @example
 * ```ts
 * const failed = results.filter((result: StepResult) => result.failures.length > 0)
 * ```
 */
export interface StepResult {
  readonly title: string
  readonly happened: string
  readonly evidence: Counters
  readonly failures: readonly string[]
}

// Real-time bound for anything that must not wait on the token endpoint; a healthy step takes milliseconds.
const WATCHDOG_MS = 5_000
const MINUTE = 60_000

const coldStart: Step = {
  title: 'cold start',
  expect: { requests: 50, rejections: 0, tokenRequests: 1, retries: 0 },
  async run({ driver, m3ter }) {
    // Distinct URLs, so no request looks like a retry of another to the mock.
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => driver.send('GET', metersUrl(m3ter, i + 1))),
    )
    return { happened: `50 concurrent GETs → ${tally(answers)}`, failures: allOk(answers) }
  },
}

const listAndIngest: Step = {
  title: 'list + ingest',
  expect: { requests: 4, rejections: 0, tokenRequests: 0, retries: 0 },
  async run({ driver, m3ter, clock }) {
    const failures: string[] = []
    const meters: { code: string }[] = []
    let pages = 0
    let url: string | undefined = metersUrl(m3ter, 100)
    while (url !== undefined) {
      const answer: Answer = await driver.send('GET', url)
      pages += 1
      const page = answer.body as { data?: { code: string }[]; nextToken?: string }
      if (answer.status !== 200 || !Array.isArray(page.data)) {
        failures.push(`page ${pages} answered ${answer.status}`)
        break
      }
      meters.push(...page.data)
      url = page.nextToken === undefined ? undefined : metersUrl(m3ter, 100, page.nextToken)
    }
    const ts = new Date(clock.now()).toISOString()
    const measurements = meters.slice(0, 50).map((meter, i) => ({
      uid: `sample-${i + 1}`,
      meter: meter.code,
      account: 'acme-corp',
      ts,
      measure: { units: i + 1 },
    }))
    const before = m3ter.stats.ingestMeasurements
    const ingest = await driver.send('POST', `${m3ter.ingestUrl}/organizations/${m3ter.orgId}/measurements`, {
      json: { measurements },
    })
    const accepted = m3ter.stats.ingestMeasurements - before
    if (ingest.status !== 200) failures.push(`ingest answered ${ingest.status}`)
    if (meters.length !== 250) failures.push(`expected 250 meters, got ${meters.length}`)
    if (accepted !== measurements.length)
      failures.push(`ingest accepted ${accepted} of ${measurements.length}`)
    return {
      happened: `${pages} pages (${meters.length} meters) + ${accepted} measurements accepted`,
      failures,
    }
  },
}

const revoked: Step = {
  title: 'token revoked',
  expect: { requests: 40, rejections: 20, tokenRequests: 1, retries: 20 },
  async run({ driver, m3ter, auth }) {
    const { generation } = auth.snapshot()
    m3ter.revokeAll()
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => driver.send('GET', accountsUrl(m3ter, i + 1))),
    )
    const failures = allOk(answers)
    if (auth.snapshot().generation !== generation + 1) failures.push('expected exactly one new token')
    return { happened: `20 GETs → 403 → one refresh, each retried once → ${tally(answers)}`, failures }
  },
}

const refreshWindow: Step = {
  title: 'refresh window',
  expect: { requests: 10, rejections: 0, tokenRequests: 1, retries: 0 },
  async run({ driver, m3ter, auth, clock, events }) {
    const failures: string[] = []
    const { expiresAt, generation } = auth.snapshot()
    const current = m3ter.issuedTokens.at(-1)
    await clock.advanceTo((expiresAt ?? clock.now()) - MINUTE)
    // The token endpoint takes the request and answers only when released: whoever waits on it would hang.
    m3ter.faults.inject('token', { kind: 'hold' })
    const fetched = events.next('token_fetched')
    const sent = m3ter.log.length
    const served = await within(
      Promise.all(Array.from({ length: 10 }, (_, i) => driver.send('GET', accountsUrl(m3ter, 20 + i + 1)))),
      WATCHDOG_MS,
    )
    const statusWhileHeld = auth.snapshot().status
    // Release only the token request that has reached the mock: on Node 22 and 24 the clients' own requests can
    // all be answered before it arrives, and a release before it would leave it held for good.
    if (!(await eventually(() => m3ter.faults.held() > 0, WATCHDOG_MS)))
      failures.push('the refresh never reached the token endpoint')
    m3ter.faults.release()
    if (!served.ok)
      return { happened: 'requests waited for the held token request', failures: ['requests waited'] }
    failures.push(...allOk(served.value))
    const onOldToken = m3ter.log
      .slice(sent)
      .filter((e) => e.origin === 'api' && e.headers.authorization === `Bearer ${current}`).length
    if (onOldToken !== 10) failures.push(`${onOldToken} of 10 requests were sent with the current token`)
    if (statusWhileHeld !== 'refreshing') failures.push(`status while held was ${statusWhileHeld}`)
    if (!(await within(fetched, WATCHDOG_MS)).ok) failures.push('the background refresh never finished')
    if (auth.snapshot().generation !== generation + 1)
      failures.push('expected one new token after the release')
    return {
      happened: `token request held; meanwhile ${tally(served.value)} on the old token`,
      failures,
    }
  },
}

const endpointDown: Step = {
  title: 'token endpoint down',
  expect: { rejections: 0, retries: 0 },
  async run({ driver, m3ter, auth, clock, events }) {
    const failures: string[] = []
    const { expiresAt, generation } = auth.snapshot()
    await clock.advanceTo((expiresAt ?? clock.now()) - 5 * MINUTE)
    const downFor = 2 * MINUTE
    m3ter.faults.inject('token', { kind: 'status', status: 503 }, { until: clock.now() + downFor })
    const tokenFailuresBefore = m3ter.stats.tokenFailures
    const answers: Answer[] = []
    const sendTwo = async () => {
      const urls = [0, 1].map((i) => accountsUrl(m3ter, 31 + answers.length + i))
      answers.push(...(await Promise.all(urls.map((url) => driver.send('GET', url)))))
    }
    // The first demand in the refresh window starts the refresh. After that, each round lets the clock run to
    // the provider's backoff timer and waits for the attempt it starts before anything else, so neither the
    // attempt's own timeout timer nor I/O speed changes what happens: the same count on every run.
    let outcome = events.next('token_fetched', 'refresh_failed')
    await sendTwo()
    for (let round = 0; round < 40; round++) {
      const done = await within(outcome, WATCHDOG_MS)
      if (!done.ok) {
        failures.push('the provider stopped retrying')
        break
      }
      if (done.value.type === 'token_fetched') break
      // Between attempts: the valid token is served at once.
      await sendTwo()
      outcome = events.next('token_fetched', 'refresh_failed')
      const due = clock.nextDue()
      if (due !== undefined) await clock.advanceTo(due)
    }
    const failed = m3ter.stats.tokenFailures - tokenFailuresBefore
    const recovered = auth.snapshot().generation === generation + 1
    const after = await driver.send('GET', accountsUrl(m3ter, 31 + answers.length))
    failures.push(...allOk([...answers, after]))
    if (!recovered) failures.push('no new token after the outage')
    if (failed < 2) failures.push(`expected several failed token requests, saw ${failed}`)
    return {
      happened: `503 for ${downFor / MINUTE} min: ${failed} token requests failed, ${tally(answers)} served; recovered`,
      failures,
    }
  },
}

const foreignHost: Step = {
  title: 'foreign host',
  expect: { requests: 1, rejections: 0, tokenRequests: 0, retries: 0 },
  async run({ driver, foreign, auth, injectLeak }) {
    const headers: Record<string, string> = injectLeak
      ? { authorization: `Bearer ${await auth.getToken()}` }
      : {}
    const answer = await driver.send('GET', `${foreign.url}/status`, { headers })
    const got =
      foreign.requests.at(-1)?.headers.authorization === undefined
        ? 'no Authorization header'
        : 'an Authorization header'
    return { happened: `GET another origin → ${answer.status}, it saw ${got}`, failures: allOk([answer]) }
  },
}

const manyOrganizations: Step = {
  title: 'many organisations',
  expect: { requests: 30, rejections: 0, tokenRequests: 3, retries: 0 },
  async run({ m3ter, clock, driverFor }) {
    // A platform holding one Service User per organisation: one pool, one client, each request with the
    // token of the organisation in its URL.
    // The mock's other organisations (the provider of the other steps keeps the mock's own).
    const keys = new Map(m3ter.organizations.map(({ orgId, keys: [key] }) => [orgId, key]))
    const pool = createTokenPool({
      credentialsFor: (orgId) => keys.get(orgId),
      tokenUrl: m3ter.tokenUrl,
      scope: [m3ter.apiUrl, m3ter.ingestUrl],
      clock,
      random: () => 0.5,
    })
    const driver = driverFor(pool)
    try {
      const sent = m3ter.log.length
      const urls = [...keys.keys()].flatMap((orgId) =>
        Array.from(
          { length: 10 },
          (_, i) => `${m3ter.apiUrl}/organizations/${orgId}/meters?pageSize=${60 + i}`,
        ),
      )
      const answers = await Promise.all(urls.map((url) => driver.send('GET', url)))
      const failures = allOk(answers)
      // Each request carried a token of the organisation its path names.
      const mismatched = m3ter.log.slice(sent).filter((entry) => {
        if (entry.origin !== 'api') return false
        const bearer = /^bearer\s+(\S+)$/i.exec(entry.headers.authorization ?? '')?.[1] ?? ''
        return !entry.url.startsWith(`/organizations/${decodeJwtClaims(bearer)?.orgId}/`)
      })
      if (mismatched.length)
        failures.push(`${mismatched.length} requests carried another organisation's token`)
      return {
        happened: `${keys.size} orgs × 10 GETs through one pool → ${tally(answers)}, a token each`,
        failures,
      }
    } finally {
      await driver.close()
      await pool.close()
    }
  },
}

/**
 * The scenario, in order: each step starts where the previous one left the provider.
 *
 * @example
 * ```ts
 * console.log(STEPS.map((step) => step.title).join(' → '))
 * ```
 */
export const STEPS: readonly Step[] = [
  coldStart,
  listAndIngest,
  revoked,
  refreshWindow,
  endpointDown,
  foreignHost,
  manyOrganizations,
]

/**
 * Runs every step for one adapter, measuring each on the servers' counters. A step that throws fails alone.
 *
 * @example
 * ```ts
 * const steps = await runScenario({ m3ter, foreign, clock, auth, driver, events, injectLeak: false })
 * ```
 */
export async function runScenario(ctx: Context): Promise<StepResult[]> {
  const results: StepResult[] = []
  for (const step of STEPS) {
    const before = readCounters(ctx.m3ter, ctx.foreign)
    let happened: string
    let failures: string[]
    try {
      ;({ happened, failures } = await step.run(ctx))
    } catch (error) {
      happened = `threw: ${oneLine(error)}`
      failures = [happened]
    }
    const evidence = difference(readCounters(ctx.m3ter, ctx.foreign), before)
    const expected: Partial<Counters> = { ...step.expect, leaks: 0 }
    for (const [name, value] of Object.entries(expected) as [keyof Counters, number][]) {
      if (evidence[name] !== value) failures.push(`${name}: expected ${value}, saw ${evidence[name]}`)
    }
    results.push({ title: step.title, happened, evidence, failures })
  }
  return results
}

function metersUrl(m3ter: MockM3ter, pageSize: number, nextToken?: string): string {
  const next = nextToken === undefined ? '' : `&nextToken=${encodeURIComponent(nextToken)}`
  return `${m3ter.apiUrl}/organizations/${m3ter.orgId}/meters?pageSize=${pageSize}${next}`
}

// Page sizes 1..100 give up to 100 distinct account URLs; each step takes its own range.
function accountsUrl(m3ter: MockM3ter, pageSize: number): string {
  return `${m3ter.apiUrl}/organizations/${m3ter.orgId}/accounts?pageSize=${pageSize}`
}

/** `"48×200, 2×403"`. */
function tally(answers: readonly Answer[]): string {
  const counts = new Map<number, number>()
  for (const { status } of answers) counts.set(status, (counts.get(status) ?? 0) + 1)
  return [...counts].map(([status, n]) => `${n}×${status}`).join(', ')
}

function allOk(answers: readonly Answer[]): string[] {
  const bad = answers.filter((a) => a.status !== 200)
  return bad.length === 0 ? [] : [`${bad.length} of ${answers.length} requests failed: ${tally(bad)}`]
}

/**
 * An error's first line, for a table cell or a one-line message on stderr.
 *
 * @example
 * ```ts
 * console.error(`sample: ${oneLine(error)}`)
 * ```
 */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0] ?? ''
}
