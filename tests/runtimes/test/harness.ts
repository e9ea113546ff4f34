import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type MockM3ter, startForeignServer, startMockM3ter } from '@m3ter-auth/testkit'

export interface Harness {
  mock: MockM3ter
  /** Environment variables (or Worker bindings) that point a runtime at the mock. */
  env: Record<string, string>
  close(): Promise<void>
}

/**
 * The mock m3ter, a foreign server and the control endpoint through which a contract running in another
 * runtime reads and steers the mock between its steps.
 */
export async function startHarness(): Promise<Harness> {
  const mock = await startMockM3ter()
  const foreign = await startForeignServer()
  const key = mock.keys[0]
  if (!key) throw new Error('the mock has no key')

  const ops: Record<string, (args: Record<string, unknown>) => void | Promise<void>> = {
    reset: () => {
      mock.reset()
      foreign.reset()
    },
    state: async ({ tokenRequests }) => {
      // A background token request may reach the mock a little after the request that started it.
      const wanted = typeof tokenRequests === 'number' ? tokenRequests : 0
      for (let i = 0; i < 1000 && mock.stats.tokenRequests < wanted; i++) await new Promise(setImmediate)
    },
    revokeAll: () => mock.revokeAll(),
    release: () => mock.faults.release(),
    inject: ({ endpoint, fault, window }) => {
      mock.faults.inject(endpoint as 'token', fault as never, window as never)
    },
  }
  const control = createServer(async (req, res) => {
    try {
      const { op, ...args } = JSON.parse(await text(req))
      const run = ops[op]
      if (!run) throw new Error(`unknown op ${op}`)
      await run(args)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(snapshot()))
    } catch (error) {
      res.writeHead(400).end(String(error))
    }
  })
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve))

  function snapshot() {
    const header = (headers: Readonly<Record<string, string>>, name: string) => headers[name] ?? null
    return {
      tokenRequests: mock.stats.tokenRequests,
      tokens: mock.issuedTokens,
      api: mock.log
        .filter((e) => e.origin !== 'token')
        .map((e) => ({
          origin: e.origin,
          url: e.url,
          status: e.status,
          authorization: header(e.headers, 'authorization'),
        })),
      foreign: foreign.requests.map((e) => ({
        url: e.url,
        authorization: header(e.headers, 'authorization'),
        probe: header(e.headers, 'x-probe'),
        body: e.body,
      })),
    }
  }

  return {
    mock,
    env: {
      M3TER_API_KEY: key.accessKeyId,
      M3TER_API_SECRET: key.apiSecret,
      M3TER_ORG_ID: mock.orgId,
      M3TER_BASE_URL: mock.apiUrl,
      M3TER_INGEST_URL: mock.ingestUrl,
      M3TER_TOKEN_URL: mock.tokenUrl,
      CONTRACT_FOREIGN_URL: foreign.url,
      CONTRACT_CONTROL_URL: `http://127.0.0.1:${(control.address() as AddressInfo).port}/`,
    },
    async close() {
      control.closeAllConnections()
      await new Promise((resolve) => control.close(resolve))
      await foreign.close()
      await mock.close()
    },
  }
}

async function text(req: IncomingMessage): Promise<string> {
  let body = ''
  for await (const chunk of req) body += chunk
  return body
}
