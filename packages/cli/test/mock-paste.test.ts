import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli } from './helpers.ts'

let bin: string
let dir: string
beforeAll(async () => {
  bin = await buildCli()
  dir = await mkdtemp(join(tmpdir(), 'm3ter-auth-paste-'))
  // `m3ter-auth` on PATH, as after `npm install -g @m3ter-auth/cli`.
  await writeFile(join(dir, 'm3ter-auth'), `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`)
  await chmod(join(dir, 'm3ter-auth'), 0o755)
}, 60_000)
afterAll(() => rm(dir, { recursive: true, force: true }))

/**
 * Starts `m3ter-auth mock` with `args` and reads its banner up to the last "Try it" line. A mock that exits
 * before (a port taken, say) rejects with its stderr, rather than handing on half a banner.
 */
async function startMock(args: string[]): Promise<{ child: ChildProcess; banner: string }> {
  const child = spawn(process.execPath, [bin, 'mock', ...args])
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr += chunk
  })
  const lines: string[] = []
  for await (const line of createInterface({ input: child.stdout! })) {
    lines.push(line)
    if (line.includes('m3ter-auth inspect')) return { child, banner: lines.join('\n') }
  }
  await stop(child)
  throw new Error(`m3ter-auth mock ${args.join(' ')} ended before its banner: ${stderr.trim()}`)
}

/**
 * Starts the mock on a fixed port pair (API on N, ingest on N+1) below Linux's ephemeral range, so that
 * no other test's free port (port 0) can take it between this mock and its restart; a pair already in
 * use is skipped.
 */
async function startMockOnFixedPorts(
  args: string[],
): Promise<{ child: ChildProcess; banner: string; port: string }> {
  for (let attempt = 0; ; attempt++) {
    const port = String(20_000 + 2 * Math.floor(Math.random() * 5_000))
    try {
      return { ...(await startMock([...args, '--port', port])), port }
    } catch (error) {
      if (attempt >= 9 || !String(error).includes('EADDRINUSE')) throw error
    }
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await exited
}

/** Runs the banner's "Try it" lines, pasted as they are, in a clean shell with `m3ter-auth` on PATH. */
function paste(banner: string, cacheHome: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = banner
    .split('\n')
    .slice(banner.split('\n').findIndex((line) => line.startsWith('Try it')) + 1)
    .map((line) => line.trim())
    .join('\n')
  const env = { PATH: `${dir}:${process.env.PATH}`, HOME: cacheHome, XDG_CACHE_HOME: cacheHome }
  return new Promise((resolve) => {
    execFile('sh', ['-e', '-c', script], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    )
  })
}

describe('m3ter-auth mock prints commands that work pasted as they are, in order', () => {
  it('token (through M3TER_BASE_URL, no --token-url), list, ingest and inspect all succeed', async () => {
    const { child, banner } = await startMock(['--org', "o'rg-1"])
    const cache = await mkdtemp(join(tmpdir(), 'm3ter-auth-paste-cache-'))
    try {
      expect(banner).not.toContain('--token-url')
      const run = await paste(banner, cache)
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
      expect(run.stdout).toContain('"data":[')
      expect(run.stdout).toContain('{"result":"accepted"}')
      expect(run.stdout).toMatch(/^organization +o'rg-1$/m)
    } finally {
      await stop(child)
      await rm(cache, { recursive: true, force: true })
    }
  })

  it('a token cached by `m3ter-auth token` still works after the mock restarts with the same options', async () => {
    const args = ['--org', 'org-stable', '--key-id', 'kid', '--secret', 'shh']
    const cache = await mkdtemp(join(tmpdir(), 'm3ter-auth-paste-cache-'))
    try {
      // The same ports on restart, so the cached token's URL matches.
      const first = await startMockOnFixedPorts(args)
      const port = first.port
      expect((await paste(first.banner, cache)).code).toBe(0)
      await stop(first.child)
      const again = await startMock([...args, '--port', port])
      try {
        const run = await paste(again.banner, cache)
        expect(run.stderr).toBe('')
        expect(run.stdout).toContain('{"result":"accepted"}')
      } finally {
        await stop(again.child)
      }
    } finally {
      await rm(cache, { recursive: true, force: true })
    }
  })
})
