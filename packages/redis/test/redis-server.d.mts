/** A redis-server of our own on a loopback port: no daemon config, nothing saved to disk. */
export interface RedisServer {
  readonly port: number
  readonly url: string
  /** The server's version, as it printed at start. */
  readonly version: string
  /** The running server's pid. */
  readonly pid: number
  /** SIGKILL, as a crash would: nothing flushed, every connection cut. */
  kill(): Promise<void>
  /** Starts a fresh, empty server on the same port (after `kill`). */
  restart(): Promise<void>
  stop(): Promise<void>
}

/** The redis-server binary: Debian's on PATH unless REDIS_SERVER names another. */
export declare const REDIS_SERVER: string

/**
 * Starts redis-server on a free loopback port and resolves once it accepts connections.
 *
 * @example
 * ```ts
 * const redis = await startRedisServer()
 * const client = new Redis(redis.url)
 * await redis.stop()
 * ```
 */
export declare function startRedisServer(): Promise<RedisServer>
