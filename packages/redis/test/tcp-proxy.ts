import { connect, createServer, type Socket } from 'node:net'

/** A loopback TCP proxy in front of Redis: a slow or half-dead network, made of real sockets. */
export interface TcpProxy {
  readonly url: string
  /** Each direction waits half of it: a command's round trip takes `delayMs` more. */
  delayMs: number
  /** While on, what clients send is dropped: the connection looks alive and nothing reaches Redis. */
  blackhole: boolean
  /** Ends every connection (clients reconnect) and lets traffic through again. */
  cut(): void
  close(): Promise<void>
}

/**
 * Starts a proxy to `127.0.0.1:targetPort`. Chunks keep their order: every chunk of a direction waits the
 * same time.
 *
 * @example
 * ```ts
 * const proxy = await startTcpProxy(redis.port, 200) // 200 ms round trips
 * const client = new Redis(proxy.url)
 * ```
 */
export async function startTcpProxy(targetPort: number, delayMs = 0): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  const relay = (from: Socket, to: Socket, dropped: () => boolean) =>
    from.on('data', (chunk) => {
      if (dropped()) return
      const wait = proxy.delayMs / 2
      if (wait <= 0) to.write(chunk)
      else setTimeout(() => to.destroyed || to.write(chunk), wait)
    })
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => {
        sockets.delete(socket)
        client.destroy()
        upstream.destroy()
      })
    }
    relay(client, upstream, () => proxy.blackhole)
    relay(upstream, client, () => false)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  const proxy: TcpProxy = {
    url: `redis://127.0.0.1:${address.port}`,
    delayMs,
    blackhole: false,
    cut() {
      proxy.blackhole = false
      for (const socket of sockets) socket.destroy()
    },
    async close() {
      proxy.cut()
      await new Promise((resolve) => server.close(resolve))
    },
  }
  return proxy
}
