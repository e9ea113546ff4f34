import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
const run = promisify(execFile)

let child: ChildProcess | undefined

beforeAll(() => {
  // `pnpm test` builds first; a lone run of this file builds the package itself.
  if (!existsSync(bin)) execFileSync('npx', ['tsup'], { cwd: root, stdio: 'ignore' })
}, 120_000)

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  child = undefined
})

function start(args: string[]): Promise<string> {
  const proc = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  child = proc
  return new Promise((resolve, reject) => {
    let out = ''
    proc.stdout?.on('data', (chunk) => {
      out += chunk
      if (out.includes('Ctrl-C') || (args.includes('--json') && out.includes('\n'))) resolve(out)
    })
    proc.stderr?.on('data', (chunk) => reject(new Error(String(chunk))))
    proc.on('exit', (code) => reject(new Error(`m3ter-mock exited with ${code}: ${out}`)))
  })
}

describe('m3ter-mock (bin)', () => {
  it("prints URLs, org id and a test key, and the seed's curl example works pasted as is", async () => {
    const out = await start([])
    expect(out).toMatch(/API: +http:\/\/127\.0\.0\.1:\d+/)
    expect(out).toMatch(/Org id: +\S+/)
    const curlLine = out.split('\n').find((line) => line.trim().startsWith('curl -u '))
    expect(curlLine).toBeDefined()
    expect(curlLine).toContain(
      `-H 'Content-Type: application/json' --data-raw '{"grant_type":"client_credentials"}'`,
    )
    const { stdout } = await run('sh', ['-c', curlLine!.trim()])
    const answer = JSON.parse(stdout)
    expect(answer).toEqual({ token_type: 'Bearer', access_token: expect.any(String), expires_in: 18000 })
    const listLine = out.split('\n').find((line) => line.includes('/meters?pageSize=10'))
    const { stdout: meters } = await run('sh', ['-c', listLine!.trim()], {
      env: { ...process.env, TOKEN: answer.access_token },
    })
    expect(JSON.parse(meters).data).toHaveLength(10)
    const exited = new Promise((resolve) => child!.once('exit', (code) => resolve(code)))
    child!.kill('SIGINT')
    expect(await exited).toBe(0)
  })

  it('takes a chosen key with a non-ASCII secret; curl -u sends its raw UTF-8 bytes', async () => {
    const out = await start([
      '--json',
      '--org',
      'org-cli',
      '--key-id',
      'cli-key',
      '--secret',
      'sécret ✓',
      '--lifetime',
      '60',
    ])
    const info = JSON.parse(out.split('\n')[0]!)
    expect(info).toMatchObject({ orgId: 'org-cli', accessKeyId: 'cli-key', apiSecret: 'sécret ✓' })
    const { stdout } = await run('curl', [
      '-s',
      '-u',
      `${info.accessKeyId}:${info.apiSecret}`,
      '-H',
      'Content-Type: application/json',
      '--data-raw',
      '{"grant_type":"client_credentials"}',
      info.tokenUrl,
    ])
    expect(JSON.parse(stdout).expires_in).toBe(60)
    const bad = await run('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-u',
      'cli-key:wrong',
      '-X',
      'POST',
      info.tokenUrl,
    ])
    expect(bad.stdout).toBe('401')
    const exited = new Promise((resolve) => child!.once('exit', (code) => resolve(code)))
    child!.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  it('the package imports in a plain node script (no vitest runner) and runs the mock', async () => {
    const index = fileURLToPath(new URL('../dist/index.js', import.meta.url))
    const script = `
      const { startMockM3ter, createManualClock } = await import(${JSON.stringify(index)})
      const m3ter = await startMockM3ter({ clock: createManualClock() })
      console.log(m3ter.tokenUrl.endsWith('/oauth/token'))
      await m3ter.close()`
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script])
    expect(stdout.trim()).toBe('true')
  })
})
