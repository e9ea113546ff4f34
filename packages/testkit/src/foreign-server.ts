import type { RequestLogEntry } from './exchange.ts'
import { headerRecord, readBody, sendJson } from './http-util.ts'
import { listen } from './listen.ts'

/**
 * A server on an origin outside every scope: it records what it is sent, to prove no bearer reaches it.
 *
 * @example
 * ```ts
 * let foreign: ForeignServer
 * beforeAll(async () => { foreign = await startForeignServer() })
 * afterEach(() => foreign.reset())
 * afterAll(() => foreign.close())
 * ```
 */
export interface ForeignServer extends AsyncDisposable {
  /** Origin, e.g. `http://127.0.0.1:41240`. */
  readonly url: string
  /** Every request received, oldest first (`origin: 'foreign'`, `status` 200, `at` in real ms). */
  readonly requests: readonly RequestLogEntry[]
  /** Forgets the recorded requests. */
  reset(): void
  close(): Promise<void>
}

/**
 * Starts a loopback server on its own origin that answers 200 `{"ok":true}` to anything and records each
 * request's headers.
 *
 * @example
 * ```ts
 * const foreign = await startForeignServer()
 * m3ter.faults.inject('api', { kind: 'redirect', location: `${foreign.url}/landing` })
 * // ...make a request through the adapter...
 * expect(foreign.requests.every((r) => !r.headers.authorization?.startsWith('Bearer'))).toBe(true)
 * await foreign.close()
 * ```
 */
export async function startForeignServer(
  options: { host?: string; port?: number } = {},
): Promise<ForeignServer> {
  let requests: RequestLogEntry[] = []
  const server = await listen(async (req, res) => {
    const body = await readBody(req, 64 * 1024)
    requests.push({
      origin: 'foreign',
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: headerRecord(req),
      status: 200,
      at: Date.now(),
      body: body.bytes.toString('utf8'),
    })
    sendJson(res, 200, { ok: true, method: req.method, path: req.url })
  }, options)
  const foreign: ForeignServer = {
    url: server.origin,
    get requests() {
      return requests
    },
    reset() {
      requests = []
    },
    close: () => server.close(),
    [Symbol.asyncDispose]: () => server.close(),
  }
  return foreign
}
