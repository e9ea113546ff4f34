import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A started loopback server and the way to stop it for good.
 *
 * @example
 * ```ts
 * const servers: Listening[] = [await listen(handle('api'), { host }), await listen(handle('ingest'), { host })]
 * await Promise.all(servers.map((s) => s.close()))
 * ```
 */
export interface Listening {
  readonly server: Server
  readonly origin: string
  close(): Promise<void>
}

/**
 * Starts a node:http server on `host:port` (port 0 picks a free one). A handler that throws answers 500
 * instead of taking the process down, and malformed HTTP gets 400: a mock must survive any client.
 *
 * @example
 * ```ts
 * const { origin, close } = await listen((req, res) => res.end('ok'))
 * ```
 */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
  options: { host?: string; port?: number } = {},
): Promise<Listening> {
  const host = options.host ?? '127.0.0.1'
  const server = createServer((req, res) => {
    req.on('error', () => {})
    res.on('error', () => {})
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        if (res.headersSent || res.destroyed) return
        const message = `mock server error: ${error instanceof Error ? error.message : String(error)}`
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message }))
      })
  })
  server.on('clientError', (_error, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    else socket.destroy()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  return {
    server,
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close() {
      // Hung requests and idle keep-alive sockets would otherwise hold the port until they time out.
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}
