import { spawn } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const packages = fileURLToPath(new URL('../../', import.meta.url))

/**
 * Bundles the command line from this checkout's sources (core and testkit included) into a temporary file,
 * so the tests run a real process on the current code without depending on any package's dist folder.
 */
export async function buildCli(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'm3ter-auth-cli-'))
  const outfile = join(dir, 'bin.mjs')
  await build({
    entryPoints: [join(packages, 'cli/src/bin.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
    // The testkit's conformance suite loads vitest lazily; the mock command never needs it.
    external: ['vitest'],
    alias: {
      ...Object.fromEntries(
        ['core', 'testkit'].map((name) => [`@m3ter-auth/${name}`, join(packages, `${name}/src/index.ts`)]),
      ),
      '@m3ter-auth/core/internals': join(packages, 'core/src/internals.ts'),
    },
  })
  return outfile
}

export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly env?: Record<string, string>
  /** Written to stdin, which is then closed; stdin is closed at once when absent. */
  readonly input?: string
}

/** Runs the built CLI as a child process with only the given M3TER_* and XDG_CACHE_HOME variables. */
export function runCli(bin: string, args: string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('M3TER_') && name !== 'XDG_CACHE_HOME'),
    )
    const child = spawn(process.execPath, [bin, ...args], { env: { ...inherited, ...options.env } })
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
    child.stdin.end(options.input ?? '')
  })
}
