import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { createManualClock, type MockM3ter, startMockM3ter } from '@m3ter-auth/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pkg from '../package.json' with { type: 'json' }
import { buildCli, runCli } from './helpers.ts'

let bin: string
let m3ter: MockM3ter
let cacheHome: string

beforeAll(async () => {
  bin = await buildCli()
  m3ter = await startMockM3ter()
  cacheHome = await mkdtemp(join(tmpdir(), 'm3ter-auth-cache-'))
}, 60_000)
afterAll(async () => {
  await m3ter.close()
  await rm(cacheHome, { recursive: true, force: true })
})

const env = () => {
  const [key] = m3ter.keys
  if (!key) throw new Error('no key')
  return { M3TER_API_KEY: key.accessKeyId, M3TER_API_SECRET: key.apiSecret, XDG_CACHE_HOME: cacheHome }
}

/** A token from the mock by hand, as a curl user would get one. */
async function mockToken(mock: MockM3ter): Promise<string> {
  const run = await runCli(bin, ['token', '--no-cache', '--token-url', mock.tokenUrl], {
    env: {
      ...env(),
      M3TER_API_KEY: mock.keys[0]?.accessKeyId ?? '',
      M3TER_API_SECRET: mock.keys[0]?.apiSecret ?? '',
    },
  })
  return run.stdout.trim()
}

const signatureOf = (token: string) => token.split('.')[2] ?? ''

describe('m3ter-auth inspect', () => {
  it('shows organization, expiry, time left and claims of a token given as argument, never its signature', async () => {
    const token = await mockToken(m3ter)
    const run = await runCli(bin, ['inspect', token], { env: env() })
    expect(run.code).toBe(0)
    expect(run.stderr).toBe('')
    expect(run.stdout).toMatch(new RegExp(`^organization +${m3ter.orgId}$`, 'm'))
    expect(run.stdout).toMatch(/^expires +\S+Z \(in 4 h 59 min\)$/m)
    expect(run.stdout).toMatch(/^signature +not shown \(32 bytes\)$/m)
    expect(run.stdout).toContain('"jti"')
    expect(run.stdout).not.toContain(signatureOf(token))
    expect(run.stdout).not.toContain(token)
  })

  it('reads the token from stdin (a Bearer prefix allowed) and prints JSON with --json', async () => {
    const token = await mockToken(m3ter)
    const run = await runCli(bin, ['inspect', '--json'], { env: env(), input: `Bearer ${token}\n` })
    expect(run.code).toBe(0)
    const inspection = JSON.parse(run.stdout)
    expect(inspection).toMatchObject({
      organization: m3ter.orgId,
      expired: false,
      header: { alg: 'HS256' },
      signature: 'not shown (32 bytes)',
    })
    expect(inspection.expires_in).toBeGreaterThan(17_900)
    expect(inspection.claims.orgId).toBe(m3ter.orgId)
    expect(run.stdout).not.toContain(signatureOf(token))
  })

  it('without a token, inspects a fresh one for the environment credentials', async () => {
    const before = m3ter.stats.tokenRequests
    const run = await runCli(bin, ['inspect', '--token-url', m3ter.tokenUrl], { env: env() })
    expect(run.code).toBe(0)
    expect(m3ter.stats.tokenRequests).toBe(before + 1)
    expect(run.stdout).toMatch(new RegExp(`^organization +${m3ter.orgId}$`, 'm'))
    for (const token of m3ter.issuedTokens) expect(run.stdout).not.toContain(signatureOf(token))
  })

  it('says how long ago an expired token expired', async () => {
    // The mock's clock five hours and a half in the past: its tokens are already expired in real time.
    const past = await startMockM3ter({ clock: createManualClock(Date.now() - 5.5 * 3_600_000) })
    try {
      const run = await runCli(bin, ['inspect', await mockToken(past)], { env: env() })
      expect(run.code).toBe(0)
      expect(run.stdout).toMatch(/^expires +\S+Z \(expired (29|30) min \d+ s ago\)$/m)
    } finally {
      await past.close()
    }
  })

  it('refuses something that is not a JWT in one line (exit 1)', async () => {
    const run = await runCli(bin, ['inspect', 'not-a-token'], { env: env() })
    expect(run.code).toBe(1)
    expect(run.stderr).toBe('m3ter-auth: not a JWT: expected three dot-separated parts\n')
  })
})

describe('m3ter-auth mock', () => {
  it('starts the mock m3ter, which issues tokens the CLI can fetch, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [
      bin,
      'mock',
      '--json',
      '--org',
      'org-from-cli',
      '--key-id',
      'kid',
      '--secret',
      'shh',
    ])
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string]
      const facts = JSON.parse(line)
      expect(facts).toMatchObject({ orgId: 'org-from-cli', accessKeyId: 'kid', apiSecret: 'shh' })
      const run = await runCli(bin, ['token', '--json', '--no-cache', '--token-url', facts.tokenUrl], {
        env: { M3TER_API_KEY: 'kid', M3TER_API_SECRET: 'shh' },
      })
      expect(run.code).toBe(0)
      const { access_token } = JSON.parse(run.stdout)
      const meters = await fetch(`${facts.apiUrl}/organizations/org-from-cli/meters?pageSize=2`, {
        headers: { authorization: `Bearer ${access_token}` },
      })
      expect(meters.status).toBe(200)
    } finally {
      child.kill('SIGTERM')
    }
    const [code] = await once(child, 'exit')
    expect(code).toBe(0)
  })

  it('refuses a bad --port in one line (exit 1)', async () => {
    const run = await runCli(bin, ['mock', '--port', 'eighty'])
    expect(run.code).toBe(1)
    expect(run.stderr).toBe(
      'm3ter-auth: --port takes a port number (the api uses it, ingest the next), not "eighty"\n',
    )
  })
})

describe('m3ter-auth usage', () => {
  it('--help documents the commands and exit codes (exit 0)', async () => {
    const run = await runCli(bin, ['--help'])
    expect(run.code).toBe(0)
    for (const text of [
      'm3ter-auth token',
      'm3ter-auth inspect',
      'm3ter-auth mock',
      'Exit codes: 0 ok, 1 usage',
    ])
      expect(run.stdout).toContain(text)
  })

  it('--version prints the package version', async () => {
    expect(await runCli(bin, ['--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' })
  })

  it.each([
    [[], 'no command given'],
    [['tokn'], 'unknown command "tokn"'],
    [['token', '--nope'], "Unknown option '--nope'"],
    [['token', '--port', '1'], '--port does not apply to token'],
    [['token', 'extra'], 'token takes no argument "extra"'],
  ])('%j is a usage error in one line (exit 1)', async (args, message) => {
    const run = await runCli(bin, args)
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(run.stderr).toContain(message)
  })
})
