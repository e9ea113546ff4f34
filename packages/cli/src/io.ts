/**
 * What a command touches of the outside world; `runCli` gets the real one from bin.ts, tests may pass their own.
 *
 * @example
 * ```ts
 * const out: string[] = []
 * const io: CliIo = { ...processIo(), env: { M3TER_API_KEY: key, M3TER_API_SECRET: secret }, stdout: (t) => out.push(t) }
 * expect(await runCli(['token', '--no-cache'], io)).toBe(ExitCode.Ok)
 * ```
 */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>
  stdout(text: string): void
  stderr(text: string): void
  /** All of stdin when it is piped, undefined when it is a terminal. */
  readStdin(): Promise<string | undefined>
  /** Runs until the process is told to stop (Ctrl-C, SIGTERM); for `m3ter-auth mock`. */
  untilStopped(): Promise<void>
}

/**
 * The process's own stdin, stdout, stderr, environment and signals.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2), processIo())
 * ```
 */
export function processIo(): CliIo {
  return {
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    async readStdin() {
      if (process.stdin.isTTY) return undefined
      let text = ''
      for await (const chunk of process.stdin) text += String(chunk)
      return text
    },
    untilStopped: () =>
      new Promise((resolve) => {
        process.once('SIGINT', () => resolve())
        process.once('SIGTERM', () => resolve())
      }),
  }
}
