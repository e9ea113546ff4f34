import { execFileSync, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type MockM3ter, startMockM3ter } from '@m3ter-auth/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const appDir = fileURLToPath(new URL('..', import.meta.url))
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url))
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

// Asynchronous on purpose: the --live tests serve the child from a mock in this process.
function runSample(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('M3TER_')))
    const child = spawn(process.execPath, [main, ...args], { env: { ...clean, ...env }, cwd: appDir })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Rows of the scenario table: adapter (carried down from the first row of its group), step, counters, result. */
function rows(stdout: string) {
  let adapter = ''
  return stdout
    .split('\n')
    .filter((line) => /\s(ok|FAIL)$/.test(line))
    .map((line) => {
      const first = line.slice(0, 7).trim()
      if (first) adapter = first
      const cells = line.trim().split(/\s{2,}/)
      const [leaks, result] = cells.slice(-2)
      const step =
        /\d (cold start|list \+ ingest|token revoked|refresh window|token endpoint down|foreign host|many organisations)/.exec(
          line,
        )?.[1]
      return { adapter, step, leaks: Number(leaks), result }
    })
}

// The sample is run as users run it, from its build; building it here (esbuild, well under a second) means the
// test always runs this checkout's code and never a stale dist.
beforeAll(() => {
  const tsup = createRequire(import.meta.url).resolve('tsup/dist/cli-default.js', { paths: [appDir] })
  execFileSync(process.execPath, [tsup], { cwd: appDir, stdio: 'pipe' })
}, 60_000)

describe('sample app against the embedded mock', () => {
  it('runs every adapter through every step, exits 0 and prints the table without a token', async () => {
    const run = await runSample([])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const table = rows(run.stdout)
    expect(table).toHaveLength(35)
    for (const adapter of ['fetch', 'axios', 'got', 'ky', 'undici']) {
      expect(table.filter((r) => r.adapter === adapter).map((r) => r.step)).toEqual([
        'cold start',
        'list + ingest',
        'token revoked',
        'refresh window',
        'token endpoint down',
        'foreign host',
        'many organisations',
      ])
    }
    expect(table.every((r) => r.result === 'ok' && r.leaks === 0)).toBe(true)
    expect(run.stdout).toContain('All 35 checks passed')
    expect(run.stdout).not.toMatch(JWT)
  }, 30_000)

  it('exits 1 and names the failure when an expectation breaks (a bearer sent abroad by hand)', async () => {
    const run = await runSample(['--adapter', 'fetch', '--inject-leak'])
    expect(run.code).toBe(1)
    const foreign = rows(run.stdout).find((r) => r.step === 'foreign host')
    expect(foreign).toMatchObject({ adapter: 'fetch', leaks: 1, result: 'FAIL' })
    expect(run.stdout).toContain('fetch / foreign host: leaks: expected 0, saw 1')
    // The leaked token went to the foreign server, never to the terminal.
    expect(run.stdout).not.toMatch(JWT)
  })

  it('--metrics prints what the OpenTelemetry SDK collected, which agrees with the mock, and no token', async () => {
    const run = await runSample(['--metrics', '--adapter', 'fetch', '--adapter', 'ky'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    // metric name, attributes and one value per adapter (fetch, ky): the whole scenario's totals.
    const metric = (name: string, attributes: string) =>
      new RegExp(`^${name.replaceAll('.', '\\.')}\\s+${attributes}\\s{2,}(\\S.*?)\\s{2,}(\\S.*)$`, 'm')
        .exec(run.stdout)
        ?.slice(1)
    expect(metric('m3ter_auth.token.requests', 'token.outcome=ok token.source=endpoint')).toEqual(['4', '4'])
    // The outage step's own row says how many token requests the mock refused; the metrics must agree.
    const refused = /503 for 2 min: (\d+) token requests failed/.exec(run.stdout)?.[1]
    expect(Number(refused)).toBeGreaterThan(0)
    expect(
      metric(
        'm3ter_auth.token.requests',
        'error.type=token_endpoint_unavailable http.response.status_code=503 token.outcome=unavailable',
      ),
    ).toEqual([refused, refused])
    expect(metric('m3ter_auth.token.refreshes', 'refresh.reason=cold')).toEqual(['1', '1'])
    expect(metric('m3ter_auth.token.refreshes', 'refresh.reason=invalidated')).toEqual(['1', '1'])
    expect(metric('m3ter_auth.token.refreshes', 'refresh.reason=ahead')).toEqual(['2', '2'])
    expect(metric('m3ter_auth.token.rejections', 'rejection.refreshed=true')).toEqual(['1', '1'])
    expect(metric('m3ter_auth.token.rejections', 'rejection.refreshed=false')).toEqual(['19', '19'])
    expect(metric('m3ter_auth.token.demands', 'token.waited=true')).toEqual(['70', '70'])
    expect(metric('m3ter_auth.provider.status', 'provider.status=fresh')).toEqual(['1', '1'])
    expect(metric('span m3ter_auth.token_request', 'outcome=unavailable')).toEqual([refused, refused])
    expect(run.stdout).toContain("The metrics agree with the mock's counters")
    expect(run.stdout).toContain('All 14 checks passed')
    expect(run.stdout).not.toMatch(JWT)
  }, 30_000)

  it('refuses an unknown option or adapter with one line and exit 2', async () => {
    const option = await runSample(['--nope'])
    expect(option.code).toBe(2)
    expect(option.stderr.trim().split('\n')).toHaveLength(1)
    const adapter = await runSample(['--adapter', 'request'])
    expect(adapter.code).toBe(2)
    expect(adapter.stderr).toContain('unknown adapter "request"')
  })
})

describe('sample app --live', () => {
  let m3ter: MockM3ter
  beforeAll(async () => {
    m3ter = await startMockM3ter()
  })
  afterAll(() => m3ter.close())

  const envFor = (m: MockM3ter, secret?: string) => {
    const [key] = m.keys
    if (!key) throw new Error('no key')
    return {
      M3TER_API_KEY: key.accessKeyId,
      M3TER_API_SECRET: secret ?? key.apiSecret,
      M3TER_ORG_ID: m.orgId,
      M3TER_BASE_URL: m.apiUrl,
    }
  }

  it('lists one page of meters through every adapter on one token, and reports its expiry', async () => {
    const run = await runSample(['--live', '--token-url', m3ter.tokenUrl], envFor(m3ter))
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/token: fetched in \d+ ms, served until \S+Z \(\d h \d+ min from now\)/)
    for (const adapter of ['fetch', 'axios', 'got', 'ky', 'undici']) {
      expect(run.stdout).toMatch(new RegExp(`${adapter}\\s+200\\s+10 meters on the first page`))
    }
    expect(m3ter.stats.tokenRequests).toBe(1)
    const secret = envFor(m3ter).M3TER_API_SECRET
    for (const token of m3ter.issuedTokens) expect(run.stdout).not.toContain(token)
    expect(run.stdout + run.stderr).not.toContain(secret)
  })

  it('says in one line that the credentials were refused (exit 2), without the secret', async () => {
    const run = await runSample(['--live', '--token-url', m3ter.tokenUrl], envFor(m3ter, 'not-the-secret'))
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toContain('answered 401')
    expect(run.stderr).not.toContain('not-the-secret')
  })

  it('says in one line that there is no network (exit 3), not a stack trace', async () => {
    // A loopback port nobody listens on: the same failure as a machine without a network, minus the flakiness.
    const port = await freePort()
    const run = await runSample(['--live'], {
      M3TER_API_KEY: 'key-id',
      M3TER_API_SECRET: 'a-secret-value',
      M3TER_ORG_ID: 'org',
      M3TER_BASE_URL: `https://127.0.0.1:${port}`,
    })
    expect(run.code).toBe(3)
    expect(run.stdout).toBe('')
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(
      /^sample --live: no token: POST https:\/\/127\.0\.0\.1:\d+\/oauth\/token: .*ECONNREFUSED/,
    )
    expect(run.stderr).not.toContain('    at ')
    expect(run.stderr).not.toContain('a-secret-value')
  })

  it('names the missing variables (exit 2)', async () => {
    const run = await runSample(['--live'], { M3TER_API_KEY: 'key-id' })
    expect(run.code).toBe(2)
    expect(run.stderr.trim()).toMatch(/^sample --live: set M3TER_API_SECRET, M3TER_ORG_ID /)
  })
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}
