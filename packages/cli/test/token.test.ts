import {
  chmod,
  chown,
  lstat,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type MockM3ter, startMockM3ter } from '@m3ter-auth/testkit'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildCli, type Run, type RunOptions, runCli } from './helpers.ts'

let bin: string
let m3ter: MockM3ter
let cacheHome: string

beforeAll(async () => {
  bin = await buildCli()
  m3ter = await startMockM3ter()
}, 60_000)
afterAll(() => m3ter.close())

beforeEach(async () => {
  m3ter.reset()
  cacheHome = await mkdtemp(join(tmpdir(), 'm3ter-auth-cache-'))
})
afterEach(() => rm(cacheHome, { recursive: true, force: true }))

const key = () => {
  const [first] = m3ter.keys
  if (!first) throw new Error('no key')
  return first
}
const credentialsEnv = (extra: Record<string, string> = {}) => ({
  M3TER_API_KEY: key().accessKeyId,
  M3TER_API_SECRET: key().apiSecret,
  XDG_CACHE_HOME: cacheHome,
  ...extra,
})
const cli = (args: string[], options: RunOptions = {}) =>
  runCli(bin, args, { env: credentialsEnv(), ...options })
const token = (...args: string[]) => cli(['token', '--token-url', m3ter.tokenUrl, ...args])
const cacheDir = () => join(cacheHome, 'm3ter-auth')

/** The one cache file (the tests use one key and one token URL). */
async function cacheFile(): Promise<string> {
  const files = (await readdir(cacheDir())).filter((name) => !name.startsWith('.'))
  expect(files).toHaveLength(1)
  return join(cacheDir(), files[0] ?? '')
}

function expectOneLineError(run: Run, code: number, ...contains: string[]) {
  expect(run.code).toBe(code)
  expect(run.stdout).toBe('')
  expect(run.stderr.endsWith('\n')).toBe(true)
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1)
  expect(run.stderr).toMatch(/^m3ter-auth: /)
  for (const text of contains) expect(run.stderr).toContain(text)
  expect(run.stderr).not.toContain(key().apiSecret)
  expect(run.stderr).not.toContain('    at ')
}

describe('m3ter-auth token', () => {
  it('prints the bearer token and nothing else, so $(m3ter-auth token) works', async () => {
    const run = await token()
    expect(run.code).toBe(0)
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe(`${m3ter.issuedTokens[0]}\n`)
    expect(m3ter.stats.tokenRequests).toBe(1)
  })

  it('--json prints token_type, access_token, expires_in and expires_at', async () => {
    const run = await token('--json')
    expect(run.code).toBe(0)
    const answer = JSON.parse(run.stdout)
    expect(Object.keys(answer)).toEqual(['token_type', 'access_token', 'expires_in', 'expires_at'])
    expect(answer.token_type).toBe('Bearer')
    expect(answer.access_token).toBe(m3ter.issuedTokens[0])
    // m3ter's 18000 s less the provider's 10 s safety margin, less the time the run took.
    expect(answer.expires_in).toBeGreaterThan(17_900)
    expect(answer.expires_in).toBeLessThanOrEqual(17_990)
    expect(Date.parse(answer.expires_at) - Date.now()).toBeCloseTo(answer.expires_in * 1000, -4)
  })

  it('caches the token in a 0600 file in a 0700 directory, named without the key id and holding no secret', async () => {
    await token()
    const file = await cacheFile()
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(cacheDir())).mode & 0o777).toBe(0o700)
    expect(file).not.toContain(key().accessKeyId)
    const content = await readFile(file, 'utf8')
    expect(content).not.toContain(key().apiSecret)
    expect(JSON.parse(content).accessToken).toBe(m3ter.issuedTokens[0])
    // Written atomically: no temporary file is left beside it.
    expect(await readdir(cacheDir())).toHaveLength(1)
  })

  it('reuses the cached token in the next invocation: still one token request', async () => {
    const first = await token()
    const second = await token()
    expect(second.code).toBe(0)
    expect(second.stdout).toBe(first.stdout)
    expect(m3ter.stats.tokenRequests).toBe(1)
  })

  it('keeps tokens of different token URLs apart', async () => {
    const other = await startMockM3ter({ keys: [key()] })
    try {
      await token()
      const run = await cli(['token', '--token-url', other.tokenUrl])
      expect(run.stdout).toBe(`${other.issuedTokens[0]}\n`)
      expect((await readdir(cacheDir())).length).toBe(2)
    } finally {
      await other.close()
    }
  })

  it('--no-cache neither reads nor writes the cache', async () => {
    await token()
    const run = await token('--no-cache')
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(`${m3ter.issuedTokens[1]}\n`)
    expect(m3ter.stats.tokenRequests).toBe(2)
    expect(JSON.parse(await readFile(await cacheFile(), 'utf8')).accessToken).toBe(m3ter.issuedTokens[0])
    await rm(cacheDir(), { recursive: true })
    await token('--no-cache')
    await expect(stat(cacheDir())).rejects.toThrow()
  })

  it('takes the token URL from M3TER_BASE_URL and says in one line when it cannot be reached (exit 3)', async () => {
    const port = await closedPort()
    const run = await runCli(bin, ['token'], {
      env: credentialsEnv({ M3TER_BASE_URL: `https://127.0.0.1:${port}/` }),
    })
    expectOneLineError(run, 3, `POST https://127.0.0.1:${port}/oauth/token`, 'ECONNREFUSED')
  })

  it('refuses M3TER_BASE_URL with a path, naming it, instead of a rejected key (exit 1)', async () => {
    // Before: POST …/organizations/org-1/oauth/token: answered 4xx, as if the key were wrong.
    const run = await runCli(bin, ['token'], {
      env: credentialsEnv({ M3TER_BASE_URL: `${m3ter.apiUrl}/organizations/org-1` }),
    })
    expectOneLineError(
      run,
      1,
      `M3TER_BASE_URL must be an origin such as https://api.m3ter.com, not ${m3ter.apiUrl}/organizations/org-1: remove the path`,
    )
    expect(m3ter.stats.tokenRequests).toBe(0)
  })

  it('reports a token endpoint that keeps failing in one line (exit 3)', async () => {
    m3ter.faults.inject('token', { kind: 'status', status: 503 }, { times: Number.POSITIVE_INFINITY })
    expectOneLineError(await token(), 3, 'answered 503')
  })

  it('reports refused credentials in one line without the secret (exit 2)', async () => {
    const run = await runCli(bin, ['token', '--token-url', m3ter.tokenUrl], {
      env: credentialsEnv({ M3TER_API_SECRET: 'definitely-wrong-secret' }),
    })
    expectOneLineError(run, 2, 'answered 401')
    expect(run.stderr).not.toContain('definitely-wrong-secret')
  })

  it('names the missing variables (exit 2)', async () => {
    const run = await runCli(bin, ['token'], { env: { XDG_CACHE_HOME: cacheHome, M3TER_API_KEY: 'id' } })
    expectOneLineError(run, 2, 'set M3TER_API_SECRET')
  })

  it('refuses a plain-http token URL off loopback (exit 1)', async () => {
    expectOneLineError(await cli(['token', '--token-url', 'http://example.com/oauth/token']), 1, 'not https')
  })
})

describe('m3ter-auth token: cache files it did not write are ignored and replaced', () => {
  async function replacedAfter(tamper: (file: string, content: string) => Promise<void>) {
    await token()
    const file = await cacheFile()
    await tamper(file, await readFile(file, 'utf8'))
    const run = await token()
    expect(run.code).toBe(0)
    expect(run.stderr).toBe('')
    // A new token was fetched instead of trusting the file, and the file now holds it, as a private file.
    expect(m3ter.stats.tokenRequests).toBe(2)
    expect(run.stdout).toBe(`${m3ter.issuedTokens[1]}\n`)
    const replaced = await lstat(file)
    expect(replaced.isFile()).toBe(true)
    expect(replaced.mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(file, 'utf8')).accessToken).toBe(m3ter.issuedTokens[1])
  }

  it('not JSON', () => replacedAfter((file) => writeFile(file, '{"version":1,"acc', { mode: 0o600 })))

  it('the wrong shape', () =>
    replacedAfter((file, content) =>
      writeFile(file, JSON.stringify({ ...JSON.parse(content), refreshAt: 'soon' }), { mode: 0o600 }),
    ))

  it("another key's token under this file name", () =>
    replacedAfter((file, content) =>
      writeFile(file, JSON.stringify({ ...JSON.parse(content), key: 'm3ter-auth:v1:https://x/:other-key' }), {
        mode: 0o600,
      }),
    ))

  it('readable by others (mode 0644)', () => replacedAfter((file) => chmod(file, 0o644)))

  it('a symlink planted in its place (the target is left alone)', async () => {
    const target = join(cacheHome, 'target.json')
    await replacedAfter(async (file, content) => {
      await writeFile(target, content, { mode: 0o600 })
      await rm(file)
      await symlink(target, file)
    })
    expect(JSON.parse(await readFile(target, 'utf8')).accessToken).toBe(m3ter.issuedTokens[0])
  })

  it.skipIf(process.getuid?.() !== 0)('owned by another user', () =>
    replacedAfter((file) => chown(file, 4242, 4242)),
  )

  it('tightens its own directory when it is open to others', async () => {
    await token()
    await chmod(cacheDir(), 0o777)
    const run = await token()
    expect(run.code).toBe(0)
    expect((await stat(cacheDir())).mode & 0o777).toBe(0o700)
  })
})

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}
