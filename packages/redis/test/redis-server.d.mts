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

/**
 * A Lua script that ages Redis by ARGV[1] ms in one step (every TTL loses that much; a key with no more left
 * goes), answering the commands it ran in the order of AGE_COMMANDS.
 */
export declare const AGE_SCRIPT: string

/** The commands AGE_SCRIPT counts, in the order of its answer. */
export declare const AGE_COMMANDS: readonly string[]

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
