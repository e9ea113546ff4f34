import { parseArgs } from 'node:util'
import pkg from '../package.json' with { type: 'json' }
import { formatInspection, inspectToken } from './commands/inspect.ts'
import { mockCommand } from './commands/mock.ts'
import { obtainToken } from './commands/token.ts'
import { tokenConfig } from './config.ts'
import { CliError, ExitCode, type ExitCodeValue } from './exit-codes.ts'
import { defaultCacheDir } from './file-store.ts'
import type { CliIo } from './io.ts'

/**
 * The text `m3ter-auth --help` prints.
 *
 * @example
 * ```ts
 * console.log(HELP)
 * ```
 */
export const HELP = `m3ter-auth ${pkg.version}: m3ter Service User tokens on the command line

Usage:
  m3ter-auth token [--json] [--no-cache] [--token-url URL]
      Prints a bearer token for M3TER_API_KEY / M3TER_API_SECRET:
        curl -H "Authorization: Bearer $(m3ter-auth token)" https://api.m3ter.com/...
      --json prints {"token_type","access_token","expires_in","expires_at"}.
      The token is cached (mode 0600, in $XDG_CACHE_HOME/m3ter-auth or ~/.cache/m3ter-auth, per key id
      and token URL, never the secret) and reused until it is due for refresh; --no-cache skips the cache.

  m3ter-auth inspect [TOKEN] [--json]
      Shows a token's organization, expiry, time left and claims; never its signature.
      TOKEN from the argument, else from stdin, else a token as \`m3ter-auth token\` would print.

  m3ter-auth mock [--json] [--port N] [--host H] [--org ID] [--key-id ID] [--secret S] [--lifetime SECONDS]
      Runs a local mock of m3ter until Ctrl-C: the config API with the token endpoint (as api.m3ter.com)
      on port N, ingest on N+1 (default: free ports). Prints commands to paste in order; with
      M3TER_BASE_URL and M3TER_INGEST_URL set to its URLs, \`m3ter-auth token\` and @m3ter-auth/core use it.
      Same org, key and secret give the same signing key: tokens survive a restart of the mock.

Options:
  --token-url URL   token endpoint (default: $M3TER_BASE_URL/oauth/token, else https://api.m3ter.com/oauth/token)
  -h, --help        this text
  -v, --version     the version

Environment: M3TER_API_KEY, M3TER_API_SECRET, M3TER_BASE_URL, XDG_CACHE_HOME.
Exit codes: 0 ok, 1 usage or bad input, 2 credentials missing or refused, 3 token endpoint unreachable or failing.
`

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  json: { type: 'boolean' },
  'no-cache': { type: 'boolean' },
  'token-url': { type: 'string' },
  port: { type: 'string' },
  org: { type: 'string' },
  'key-id': { type: 'string' },
  secret: { type: 'string' },
  lifetime: { type: 'string' },
  host: { type: 'string' },
} as const

type OptionName = keyof typeof OPTIONS

// Which options mean something to which command: anything else is a mistake worth saying so.
const ACCEPTS: Record<string, readonly OptionName[]> = {
  token: ['json', 'no-cache', 'token-url'],
  inspect: ['json', 'no-cache', 'token-url'],
  mock: ['json', 'port', 'host', 'org', 'key-id', 'secret', 'lifetime'],
}

/**
 * Runs `m3ter-auth` with `argv` (without node and the script) and returns the exit code. Output goes
 * through `io`; a failure is one line on stderr, `m3ter-auth: <what is wrong>`, never a secret or a token.
 *
 * @example
 * ```ts
 * import { processIo, runCli } from '@m3ter-auth/cli'
 * process.exitCode = await runCli(['token', '--json'], processIo())
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCodeValue> {
  try {
    await dispatch(argv, io)
    return ExitCode.Ok
  } catch (error) {
    const cliError = error instanceof CliError ? error : new CliError(ExitCode.Usage, firstLine(error))
    io.stderr(`m3ter-auth: ${cliError.message}\n`)
    return cliError.exitCode
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<void> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    throw new CliError(ExitCode.Usage, `${firstLine(error)}; see m3ter-auth --help`)
  }
  const { values, positionals } = parsed
  if (values.help) return io.stdout(HELP)
  if (values.version) return io.stdout(`${pkg.version}\n`)
  const [command, ...rest] = positionals
  if (command === undefined)
    throw new CliError(ExitCode.Usage, 'no command given; try m3ter-auth token, inspect or mock (--help)')
  const accepted = ACCEPTS[command]
  if (!accepted) throw new CliError(ExitCode.Usage, `unknown command "${command}"; see m3ter-auth --help`)
  const stray = (Object.keys(values) as OptionName[]).find((name) => !accepted.includes(name))
  if (stray) throw new CliError(ExitCode.Usage, `--${stray} does not apply to ${command}`)
  if (rest.length > (command === 'inspect' ? 1 : 0)) {
    throw new CliError(ExitCode.Usage, `${command} takes no argument "${rest.at(-1)}"`)
  }
  const cacheDir = values['no-cache'] ? undefined : defaultCacheDir(io.env)
  const fresh = () => obtainToken(tokenConfig(io.env, values['token-url']), { cacheDir })

  if (command === 'token') {
    const token = await fresh()
    if (!values.json) return io.stdout(`${token.accessToken}\n`)
    const answer = {
      token_type: 'Bearer',
      access_token: token.accessToken,
      expires_in: Math.max(0, Math.floor((token.expiresAt - Date.now()) / 1000)),
      expires_at: new Date(token.expiresAt).toISOString(),
    }
    return io.stdout(`${JSON.stringify(answer, null, 2)}\n`)
  }
  if (command === 'inspect') {
    const given = rest[0] ?? (await io.readStdin())?.trim()
    const token = given ? given : (await fresh()).accessToken
    const inspection = inspectToken(token, Date.now())
    return io.stdout(values.json ? `${JSON.stringify(inspection, null, 2)}\n` : formatInspection(inspection))
  }
  return mockCommand(
    {
      port: values.port,
      host: values.host,
      org: values.org,
      keyId: values['key-id'],
      secret: values.secret,
      lifetime: values.lifetime,
      json: values.json,
    },
    io,
  )
}

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? ''
}
