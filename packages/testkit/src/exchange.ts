import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Endpoint, FaultKind } from './faults.ts'

/**
 * One request as the mock saw it. `status` is 0 while unanswered and for dropped or hung requests.
 *
 * @example
 * ```ts
 * const posts = m3ter.log.filter((entry) => entry.origin === 'api' && entry.method === 'POST')
 * ```
 */
export interface RequestLogEntry {
  /** The endpoint it reached: `'token'` for the token endpoint on whichever origin serves it. */
  readonly origin: Endpoint | 'foreign'
  readonly method: string
  /** Path and query, as sent. */
  readonly url: string
  /** Lower-cased names; Authorization is kept verbatim so tests can compare it with issued tokens. */
  readonly headers: Readonly<Record<string, string>>
  readonly status: number
  /** Mock clock time of arrival (ms). */
  readonly at: number
  /** The body as UTF-8 text (first 64 KiB). */
  readonly body: string
  /** The injected fault that answered it, if any. */
  readonly fault?: FaultKind
  /** Why the api or ingest origin refused it, if it did: tells a token rejection from the other 403s. */
  readonly refusal?: Refusal
}

/**
 * Why a request was refused: `'token'` (bad bearer; 403, or 401 with `rejectStatus`), `'organization'`,
 * `'route'` and `'body-size'` (403s that are not about the token), `'rate-limit'` (429).
 *
 * @example
 * ```ts
 * expect(m3ter.log.filter((entry) => entry.refusal === 'route')).toHaveLength(3)
 * ```
 */
export type Refusal = 'token' | 'organization' | 'route' | 'body-size' | 'rate-limit'

/**
 * A mutable log entry while the request is in progress.
 *
 * @example
 * ```ts
 * const entry: LiveEntry = { origin, method: req.method ?? 'GET', url, headers: headerRecord(req), status: 0, at: now(), body: '' }
 * entry.status = 403 // filled in as the answer leaves
 * ```
 */
export type LiveEntry = { -readonly [K in keyof RequestLogEntry]: RequestLogEntry[K] }

/**
 * A request in flight: what came, and the one way answers leave (so status is recorded before the client sees it).
 *
 * @example
 * ```ts
 * if (!ORG_PATH.test(ex.url.pathname)) return ex.error(404, `No route for ${ex.url.pathname}`)
 * ex.json(200, { result: 'accepted' })
 * ```
 */
export interface Exchange {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly entry: LiveEntry
  readonly url: URL
  /** Full body text (up to the endpoint's read limit) and its real size in bytes. */
  body: string
  size: number
  reply(status: number, body: string, headers: Record<string, string>): void
  json(status: number, value: unknown, headers?: Record<string, string>): void
  error(status: number, message: string): void
  /** Marks the request as ending without an answer (drop, hang). */
  noAnswer(): void
}

/**
 * Wraps one request and its response; the first answer given records its status in the log entry and
 * reports it through `onStatus`, before the client can see it.
 *
 * @example
 * ```ts
 * const ex = createExchange(req, res, entry, (status) => {
 *   if (isToken && status !== 200) state.stats.tokenFailures += 1
 * })
 * await handleApi(ex, state, 'api')
 * ```
 */
export function createExchange(
  req: IncomingMessage,
  res: ServerResponse,
  entry: LiveEntry,
  onStatus: (status: number) => void,
): Exchange {
  let recorded = false
  const record = (status: number) => {
    if (recorded) return
    recorded = true
    entry.status = status
    onStatus(status)
  }
  const exchange: Exchange = {
    req,
    res,
    entry,
    url: new URL(req.url ?? '/', 'http://mock.invalid'),
    body: '',
    size: 0,
    reply(status, body, headers) {
      record(status)
      if (res.headersSent || res.destroyed) return
      res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) })
      res.end(body)
    },
    json(status, value, headers = {}) {
      exchange.reply(status, JSON.stringify(value), { 'content-type': 'application/json', ...headers })
    },
    error(status, message) {
      exchange.json(status, { message })
    },
    noAnswer() {
      record(0)
    },
  }
  return exchange
}
