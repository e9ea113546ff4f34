import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * Lower-cased header names to single string values; repeated headers are joined as Node joins them.
 *
 * @example
 * ```ts
 * const entry = { origin: 'foreign', method: req.method, url: req.url, headers: headerRecord(req) }
 * ```
 */
export function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    out[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

/**
 * A request body as read: its bytes up to `limit`, and its full size even when it was larger.
 *
 * @example
 * ```ts
 * const { bytes, size, truncated }: ReadBody = await readBody(req, 64 * 1024)
 * if (truncated) return sendError(res, 403, `Body of ${size} bytes refused`)
 * ```
 */
export interface ReadBody {
  readonly bytes: Buffer
  readonly size: number
  readonly truncated: boolean
}

// Bodies past this size are not even drained: the socket is cut so a runaway client cannot hold memory.
const HARD_LIMIT = 16 * 1024 * 1024

/**
 * Reads the whole body, keeping at most `limit` bytes; never rejects (a broken upload reads as what came).
 *
 * @example
 * ```ts
 * const body = await readBody(req, 64 * 1024)
 * const text = body.bytes.toString('utf8')
 * ```
 */
export function readBody(req: IncomingMessage, limit: number): Promise<ReadBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let kept = 0
    let size = 0
    const done = () => {
      resolve({ bytes: Buffer.concat(chunks), size, truncated: size > kept })
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (kept < limit) {
        const slice = chunk.subarray(0, limit - kept)
        chunks.push(slice)
        kept += slice.length
      }
      if (size > HARD_LIMIT) {
        req.destroy()
        done()
      }
    })
    req.on('end', done)
    req.on('error', done)
    req.on('close', done)
  })
}

/**
 * Sends a JSON answer unless the socket is already gone.
 *
 * @example
 * ```ts
 * sendJson(res, 200, { ok: true, method: req.method, path: req.url })
 * ```
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  send(res, status, JSON.stringify(body), { 'content-type': 'application/json', ...headers })
}

/**
 * Sends a text answer unless the socket is already gone.
 *
 * @example
 * ```ts
 * send(res, 200, '<html>Service Unavailable</html>', { 'content-type': 'text/html' })
 * ```
 */
export function send(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string>,
): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) })
  res.end(body)
}

/**
 * m3ter's error shape.
 *
 * @example
 * ```ts
 * sendError(res, 404, `No route for ${req.method} ${req.url}`) // {"message":"No route for ..."}
 * ```
 */
export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { message })
}
