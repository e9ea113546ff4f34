/**
 * The exit codes of `m3ter-auth`, so scripts can tell a typo from a bad key from a network outage.
 *
 * @example
 * ```ts
 * import { spawnSync } from 'node:child_process'
 * import { ExitCode } from '@m3ter-auth/cli'
 *
 * const { status } = spawnSync('m3ter-auth', ['token'], { stdio: ['ignore', 'pipe', 'inherit'] })
 * if (status === ExitCode.Credentials) console.error('check M3TER_API_KEY / M3TER_API_SECRET')
 * ```
 */
export const ExitCode = {
  /** Done. */
  Ok: 0,
  /** Unknown command or option, bad input (a token that is not a JWT), an insecure URL. */
  Usage: 1,
  /** Credentials missing, or refused by the token endpoint. */
  Credentials: 2,
  /** The token endpoint could not be reached, failed, timed out or answered something that is not a token. */
  Network: 3,
} as const

/**
 * One of {@link ExitCode}'s values.
 *
 * @example
 * ```ts
 * const exitCodeOf = (error: unknown): ExitCodeValue =>
 *   error instanceof CliError ? error.exitCode : ExitCode.Network
 * ```
 */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * A failure the command line reports as one line on stderr, with its exit code. The message never holds a
 * secret or a token.
 *
 * @example
 * ```ts
 * if (!process.env.M3TER_ORG_ID) throw new CliError(ExitCode.Usage, 'set M3TER_ORG_ID')
 * ```
 */
export class CliError extends Error {
  override readonly name = 'CliError'
  constructor(
    readonly exitCode: ExitCodeValue,
    message: string,
  ) {
    super(message)
  }
}
