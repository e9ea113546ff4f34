import { spawn } from 'node:child_process'

export interface Result {
  id: string
  name?: string
  pass: boolean
  detail?: string
}

/**
 * Runs a command to its end and returns its stdout and stderr. A runtime that hangs is killed after
 * `timeoutMs` so the results it printed so far still count and the missing ones show as failures.
 */
export function run(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string; timeoutMs?: number },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(killer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** The JSON lines of a contract run; every other line (a runtime's own chatter) is left out. */
export function parseResults(stdout: string): Result[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Result)
}

/**
 * Stderr lines a runtime run may print, each with why; every other line fails the run. Empty: today no
 * runtime prints anything there (a warning, a deprecation, an unhandled rejection would all show up here).
 */
const ALLOWED_STDERR: ReadonlyArray<{ readonly line: RegExp; readonly why: string }> = []

/** The lines of a run's stderr that are not on the allowed list. */
export function unexpectedStderr(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => !ALLOWED_STDERR.some((allowed) => allowed.line.test(line)))
}
