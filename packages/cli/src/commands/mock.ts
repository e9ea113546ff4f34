import { CliError, ExitCode } from '../exit-codes.ts'
import type { CliIo } from '../io.ts'

/**
 * Options of `m3ter-auth mock`, as its flags give them (strings, unparsed).
 *
 * @example
 * ```ts
 * // A mock on fixed ports with a known key, for a docker-compose service or a CI job
 * await mockCommand({ port: '8080', keyId: 'ci-key', secret: 'ci-secret', lifetime: '60' }, processIo())
 * ```
 */
export interface MockCommandOptions {
  readonly port?: string | undefined
  readonly host?: string | undefined
  readonly org?: string | undefined
  readonly keyId?: string | undefined
  readonly secret?: string | undefined
  readonly lifetime?: string | undefined
  readonly json?: boolean | undefined
}

/**
 * What `m3ter-auth mock --json` prints: everything a program needs to use the mock.
 *
 * @example
 * ```ts
 * // The first line `m3ter-auth mock --json` prints, read by a test harness or a script
 * const { apiUrl, orgId, accessKeyId, apiSecret }: MockFacts = JSON.parse(line)
 * ```
 */
export interface MockFacts {
  readonly apiUrl: string
  readonly ingestUrl: string
  readonly tokenUrl: string
  readonly orgId: string
  readonly accessKeyId: string
  readonly apiSecret: string
}

/**
 * Starts the testkit's mock m3ter (config API with the token endpoint, as on api.m3ter.com, and ingest) on
 * loopback and runs until stopped. The text it prints can be pasted into a shell as it is, in order.
 *
 * @example
 * ```ts
 * // Prints the mock's URLs and key as one JSON line, then serves until SIGINT or SIGTERM.
 * await mockCommand({ json: true }, processIo())
 * ```
 */
export async function mockCommand(options: MockCommandOptions, io: CliIo): Promise<void> {
  const port = options.port === undefined ? undefined : Number(options.port)
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65534)) {
    throw new CliError(
      ExitCode.Usage,
      `--port takes a port number (the api uses it, ingest the next), not "${options.port}"`,
    )
  }
  const lifetime = options.lifetime === undefined ? undefined : Number(options.lifetime)
  if (lifetime !== undefined && !(Number.isInteger(lifetime) && lifetime > 0)) {
    throw new CliError(ExitCode.Usage, `--lifetime takes a number of seconds, not "${options.lifetime}"`)
  }
  // Loaded here, not at the top: `token` and `inspect` should not pay for starting a server library.
  const { startMockM3ter } = await import('@m3ter-auth/testkit')
  const m3ter = await startMockM3ter({
    keys: [
      {
        ...(options.keyId ? { accessKeyId: options.keyId } : {}),
        ...(options.secret ? { apiSecret: options.secret } : {}),
      },
    ],
    ...(options.org ? { orgId: options.org } : {}),
    ...(options.host ? { host: options.host } : {}),
    ...(lifetime ? { tokenLifetimeSeconds: lifetime } : {}),
    ...(port === undefined || port === 0 ? {} : { ports: { api: port, ingest: port + 1 } }),
  })
  try {
    const [key] = m3ter.keys
    if (!key) throw new CliError(ExitCode.Usage, 'the mock started without an access key')
    const facts: MockFacts = {
      apiUrl: m3ter.apiUrl,
      ingestUrl: m3ter.ingestUrl,
      tokenUrl: m3ter.tokenUrl,
      orgId: m3ter.orgId,
      accessKeyId: key.accessKeyId,
      apiSecret: key.apiSecret,
    }
    io.stdout(options.json ? `${JSON.stringify(facts)}\n` : mockBanner(facts))
    await io.untilStopped()
  } finally {
    await m3ter.close()
  }
}

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`

/**
 * The text `m3ter-auth mock` prints. Every command under "Try it" works when pasted in order into a POSIX
 * shell: the environment comes first, so `m3ter-auth token` finds the mock through M3TER_BASE_URL (the
 * token endpoint is on the API origin, as on m3ter) and the later lines use what the earlier ones set.
 *
 * @example
 * ```ts
 * io.stdout(mockBanner(facts))
 * ```
 */
export function mockBanner(facts: MockFacts): string {
  // A made-up key for a local mock: printing its secret is the point, so it can be pasted.
  return `mock m3ter is running (Ctrl-C to stop)
  API:            ${facts.apiUrl}
  Token endpoint: ${facts.tokenUrl}
  Ingest:         ${facts.ingestUrl}
  Org id:         ${facts.orgId}

Try it (paste in order):
  export M3TER_API_KEY=${quote(facts.accessKeyId)} M3TER_API_SECRET=${quote(facts.apiSecret)}
  export M3TER_ORG_ID=${quote(facts.orgId)} M3TER_BASE_URL=${quote(facts.apiUrl)} M3TER_INGEST_URL=${quote(facts.ingestUrl)}
  TOKEN=$(m3ter-auth token)
  curl -sS -w '\n' -H "Authorization: Bearer $TOKEN" "$M3TER_BASE_URL/organizations/$M3TER_ORG_ID/meters?pageSize=2"
  curl -sS -w '\n' -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-raw '{"measurements":[{"meter":"api_calls","account":"acme","ts":"2026-01-01T00:00:00Z","measure":{"calls":1}}]}' "$M3TER_INGEST_URL/organizations/$M3TER_ORG_ID/measurements"
  m3ter-auth inspect "$TOKEN"
`
}
