// pnpm bench:peers — m3ter-auth against the libraries users would otherwise pick, on one workload against
// the testkit's mock m3ter (see workload.mjs for the phases and how time is handled). Each contender runs in
// a process of its own; this script collects their figures, measures Worker bundle sizes, prints the
// tables, writes bench/results/peers.json and peers.svg, and rewrites the README's "How it compares"
// section from them. It exits non-zero when a check of m3ter-auth's own rows misses.
//
// Usage: node bench/peers/run.mjs [--no-write] [--render] [contender ids…]   (after a build; `pnpm bench:peers`
// builds first). --render skips the workload and renders the committed JSON again.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { CONTENDERS, contenderById } from './contenders.mjs'
import { checksOf, figuresOf, peerWins, ranked } from './figures.mjs'
import { readmeSection, svgChart, textReport, withReadmeSection } from './report.mjs'
import { workerBundleSize } from './size.mjs'
import { WORKLOAD } from './workload.mjs'

const here = new URL('.', import.meta.url)
const benchDir = new URL('../', here)
const rootDir = new URL('../../', here)
const args = process.argv.slice(2)
const write = !args.includes('--no-write')
const only = args.filter((a) => !a.startsWith('--'))
const contenders = only.length ? only.map(contenderById) : CONTENDERS

// One contender may not hold the run hostage.
const CONTENDER_TIMEOUT_MS = 120_000

const resultsUrl = new URL('results/peers.json', benchDir)
const rows = []
let broken = 0
// --render: no workload; the tables, chart and README section again from the committed JSON.
if (args.includes('--render')) rows.push(...JSON.parse(readFileSync(resultsUrl, 'utf8')).rows)
else await runAll()

async function runAll() {
  const scratch = mkdtempSync(join(tmpdir(), 'bench-peers-'))
  try {
    for (const contender of contenders) {
      const out = join(scratch, `${contender.id}.json`)
      const started = performance.now()
      const child = spawnSync(
        process.execPath,
        [new URL('contender.mjs', here).pathname, contender.id, out],
        {
          cwd: benchDir.pathname,
          encoding: 'utf8',
          timeout: CONTENDER_TIMEOUT_MS,
          maxBuffer: 64 * 1024 * 1024,
        },
      )
      const seconds = ((performance.now() - started) / 1000).toFixed(1)
      if (child.status !== 0) {
        broken++
        console.error(`FAIL ${contender.id}: exited ${child.status ?? child.signal} after ${seconds} s`)
        console.error(`${child.stderr}`.split('\n').slice(-15).join('\n'))
        continue
      }
      console.log(`ran ${contender.id} in ${seconds} s`)
      const raw = JSON.parse(readFileSync(out, 'utf8'))
      rows.push({
        id: contender.id,
        label: contender.label,
        setup: contender.setup,
        kind: contender.kind,
        clock: contender.clock,
        versions: versionsOf(contender.packages),
        size: await workerBundleSize(contender),
        ...figuresOf(raw),
      })
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

// Strongest first (fewest failed calls, then fewest token requests): the tables, chart and checks lead with it.
const ordered = ranked(rows)
const previous = args.includes('--render') ? JSON.parse(readFileSync(resultsUrl, 'utf8')) : undefined
const results = {
  generatedAt: previous?.generatedAt ?? new Date().toISOString().slice(0, 10),
  node: previous?.node ?? process.version,
  machine: previous?.machine ?? machine(),
  workload: WORKLOAD,
  notes: notes(),
  rows: ordered,
  checks: ordered.flatMap((row) => checksOf(row, row)),
  peerWins: peerWins(ordered).wins,
  lowerWithMoreFailures: peerWins(ordered).bought,
}

console.log(`\n${textReport(results)}`)

if (write && !only.length && !broken) {
  const resultsDir = new URL('results/', benchDir)
  writeFileSync(resultsUrl, `${JSON.stringify(results, null, 2)}\n`)
  writeFileSync(new URL('peers.svg', resultsDir), svgChart(results))
  const readmeUrl = new URL('README.md', rootDir)
  writeFileSync(readmeUrl, withReadmeSection(readFileSync(readmeUrl, 'utf8'), readmeSection(results)))
  console.log(
    '\nwrote bench/results/peers.json, bench/results/peers.svg and the README section "How it compares"',
  )
}

const failed = results.checks.filter((c) => !c.ok).length + broken
console.log(`\n${results.checks.length - failed + broken} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)

function versionsOf(packages) {
  const versions = {}
  for (const name of packages) {
    const manifest = JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, benchDir), 'utf8'))
    versions[name] = manifest.version
  }
  return versions
}

function machine() {
  const cpu = cpus()
  const model = (cpu[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim()
  const memory = Math.round(totalmem() / 2 ** 30)
  return {
    cpu: model,
    cores: cpu.length,
    memoryGiB: memory,
    platform: `${process.platform} ${process.arch}`,
    summary: `${model}, ${cpu.length} cores, ${memory} GiB, ${process.platform} ${process.arch}`,
  }
}

function notes() {
  const w = WORKLOAD
  return [
    `Time: the mock issues and checks tokens by its manual clock (tokens of ${w.tokenLifetimeSeconds} s, as m3ter's), and the bench moves that clock, only while nothing is on the wire. m3ter-auth takes the clock through its clock option. The peers and baselines cannot take one: in their process Date.now() is pinned to the same manual clock, so expires_in means the same to them as to the mock. Timers, sockets and latency stay real: the token endpoint answers after a real ${w.tokenLatencyMs} ms, the API at once.`,
    `Phases, each on a fresh mock and a fresh contender: cold = ${w.cold.calls} concurrent calls; steady = ${w.steady.concurrent} concurrent calls every ${w.steady.everySeconds} s for ${w.steady.lifetimes} token lifetimes; revocation = 1 warm-up call, then ${w.revocation.inFlight} calls held at the mock while every token is revoked (revokeAll), then ${w.revocation.after} more; outage = a call every ${w.outage.everySeconds} s (${w.outage.concurrent} at once) from ${-w.outage.fromMinutes} min before the warm-up token expires to ${w.outage.toMinutes} min after, the token endpoint answering 503 (${w.outage.plain503} plain, then with Retry-After: ${w.outage.retryAfterSeconds}) from ${-w.outage.downMinutes} to ${-w.outage.upMinutes} min before expiry, while the token is still valid; outage-expiry = the same traffic from ${-w.outageAcrossExpiry.fromMinutes} min before the warm-up token expires to ${w.outageAcrossExpiry.toMinutes} min after, the token endpoint answering a plain 503 from ${-w.outageAcrossExpiry.downMinutes} min before expiry to ${w.outageAcrossExpiry.upMinutes} min after (failed calls counted apart while the token is still valid, once it has expired, and after the endpoint is back); rate-limit = a cold start, ${w.rateLimit.concurrent} calls every ${w.rateLimit.everySeconds} s for ${w.rateLimit.forSeconds} s, the token endpoint answering 429 with Retry-After: ${w.rateLimit.retryAfterSeconds} (a fixed value, as gateways often send) for the first ${w.rateLimit.limitedSeconds} s only: a client that honours Retry-After waits longer than it had to, one that ignores it asks again at every call.`,
    'Secrets: the traffic phases use a key whose id and secret are letters and digits; "encoded" is a second key whose secret holds + / = (m3ter takes base64 of the raw key:secret; a client that percent-encodes them first, as RFC 6749 §2.3.1 says, sends another Basic value). A UUID-shaped key id fails the same way with oauth4webapi, which also encodes "-".',
    'A call "waited" when the bearer it finally sent was issued after it started (read from the mock\'s log); "failed" means thrown or answered non-2xx. Leaks: the first and last ten thrown errors of every phase, token-endpoint probes included (503, an inactive key, an API answering 403), searched through util.inspect at full depth and JSON.stringify for the secret (raw or percent-encoded), any Basic value sent, and any token issued.',
    'Do it yourself: a few plain lines written here, what a careful user writes with fetch instead of a library: one token request shared by all callers (single flight), a refresh in the last 5 min before expiry with the old token kept while that refresh fails and it has not expired, one retry with a new token on 401/403; no backoff, no Retry-After, no cooldown, no bound on a hanging request.',
    "simple-oauth2 is set with credentialsEncodingMode 'loose', as its docs advise for servers that take base64 of the raw id:secret: its default ('strict') form-url-encodes both first, so a secret holding + / = goes out as another Basic value that m3ter refuses.",
    'Rows are ordered strongest first: fewest failed calls over the traffic phases, then fewest token requests.',
    'Baselines are not the SDKs: they are a few plain lines written here that reproduce the token handling m3ter\'s official TypeScript and Java SDKs document (the SDKs are not on the npm registry this bench installs from). oauth4webapi is low-level and leaves caching to its caller; its client credentials example keeps none, so neither does its row. axios-auth-refresh\'s README fetches a token only after a refused request, so its first calls go out as "Bearer null".',
    "Latency is real time per call (the revocation's held calls left out), each contender in its own process one after another on a shared machine: read it as rough, and compare rows of one run only. The p99 is mostly the 100 cold calls.",
    'Worker bundle: the contender\'s setup module (bench/peers/contenders) bundled by esbuild with the workerd/worker/browser conditions, minified and gzipped; "auth" leaves the HTTP client out, "total" keeps it. got, undici and simple-oauth2 need Node\'s own modules.',
  ]
}
