import { CliError, ExitCode } from '../exit-codes.ts'
import type { CliIo } from '../io.ts'

/** Options of `m3ter-auth mock`. */
export interface MockCommandOptions {
  readonly port?: string | undefined
  readonly org?: string | undefined
  readonly keyId?: string | undefined
  readonly secret?: string | undefined
  readonly lifetime?: string | undefined
  readonly json?: boolean | undefined
}

/**
 * Starts the testkit's mock m3ter (token endpoint, config API, ingest) on loopback and runs until stopped.
 *
 * @example
 * ```ts
 * await mockCommand({ json: true }, processIo())
 * ```
 */
export async function mockCommand(options: MockCommandOptions, io: CliIo): Promise<void> {
  const port = options.port === undefined ? undefined : Number(options.port)
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65533)) {
    throw new CliError(
      ExitCode.Usage,
      `--port takes a port number (the mock uses it and the next two), not "${options.port}"`,
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
    ...(lifetime ? { tokenLifetimeSeconds: lifetime } : {}),
    ...(port === undefined || port === 0 ? {} : { ports: { api: port, ingest: port + 1, token: port + 2 } }),
  })
  try {
    const [key] = m3ter.keys
    if (!key) throw new CliError(ExitCode.Usage, 'the mock started without an access key')
    const facts = {
      apiUrl: m3ter.apiUrl,
      ingestUrl: m3ter.ingestUrl,
      tokenUrl: m3ter.tokenUrl,
      orgId: m3ter.orgId,
      accessKeyId: key.accessKeyId,
      apiSecret: key.apiSecret,
    }
    if (options.json) {
      io.stdout(`${JSON.stringify(facts)}\n`)
    } else {
      // A made-up key for a local mock: printing its secret is the point, so it can be pasted.
      io.stdout(`mock m3ter is running (Ctrl-C to stop)
  API:            ${facts.apiUrl}
  Ingest:         ${facts.ingestUrl}
  Token endpoint: ${facts.tokenUrl}
  Org id:         ${facts.orgId}

Try it:
  export M3TER_API_KEY=${facts.accessKeyId} M3TER_API_SECRET=${facts.apiSecret}
  TOKEN=$(m3ter-auth token --token-url ${facts.tokenUrl})
  curl -H "Authorization: Bearer $TOKEN" '${facts.apiUrl}/organizations/${facts.orgId}/meters?pageSize=10'
  m3ter-auth inspect "$TOKEN"
`)
    }
    await io.untilStopped()
  } finally {
    await m3ter.close()
  }
}
