/**
 * The part of an ioredis client (`Redis` or `Cluster`, v5 and v6) the store uses. Structural, so neither
 * client is a dependency: both are optional peer dependencies.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis'
 * const client: IoRedisLike = new Redis(process.env.REDIS_URL!)
 * ```
 */
export interface IoRedisLike {
  /** `'ready'` once connected; anything else means a command would be queued, not sent. */
  readonly status: string
  get(key: string): Promise<string | null>
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<unknown>
  del(key: string): Promise<unknown>
  eval(script: string, keys: number, ...args: string[]): Promise<unknown>
}

/**
 * The part of a node-redis client (`createClient()`, v4, v5 and v6) the store uses.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * const client: NodeRedisLike = await createClient({ url: process.env.REDIS_URL }).connect()
 * ```
 */
export interface NodeRedisLike {
  /** True while connected; otherwise a command would wait in the offline queue. */
  readonly isReady: boolean
  sendCommand(args: string[]): Promise<unknown>
}

/**
 * A Redis client the store accepts: an ioredis `Redis` or `Cluster`, or a node-redis client.
 *
 * @example
 * ```ts
 * createRedisStore({ client: new Redis(url) }) // or: await createClient({ url }).connect()
 * ```
 */
export type RedisClient = IoRedisLike | NodeRedisLike

/**
 * The few commands the store needs, the same on both clients (and on Valkey).
 *
 * @example
 * ```ts
 * const commands: Commands | undefined = commandsOf(client)
 * if (commands?.ready()) await commands.set(redisKey, value, ttlMs)
 * ```
 */
export interface Commands {
  /** Whether a command sent now goes to the server at once (rather than into a queue). */
  ready(): boolean
  get(key: string): Promise<string | null>
  /** SET key value PX ms. */
  set(key: string, value: string, ms: number): Promise<void>
  /** SET key value NX PX ms: true when set, false when the key exists. */
  setIfAbsent(key: string, value: string, ms: number): Promise<boolean>
  /** Deletes `key` only while it still holds `value`, atomically (Lua). */
  deleteIfEqual(key: string, value: string): Promise<boolean>
  del(key: string): Promise<void>
}

// Redis's documented single-instance lock release: compare, then delete, in one script.
const DELETE_IF_EQUAL =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"

/**
 * Wraps either client into {@link Commands}; undefined when `client` is neither.
 *
 * @example
 * ```ts
 * const commands = commandsOf(client)
 * if (commands?.ready()) await commands.get(key)
 * ```
 */
export function commandsOf(client: unknown): Commands | undefined {
  if (isNodeRedis(client)) {
    const send = (args: string[]) => client.sendCommand(args)
    return {
      ready: () => client.isReady === true,
      get: async (key) => text(await send(['GET', key])),
      set: async (key, value, ms) => void (await send(['SET', key, value, 'PX', String(ms)])),
      setIfAbsent: async (key, value, ms) =>
        (await send(['SET', key, value, 'NX', 'PX', String(ms)])) !== null,
      deleteIfEqual: async (key, value) =>
        Number(await send(['EVAL', DELETE_IF_EQUAL, '1', key, value])) === 1,
      del: async (key) => void (await send(['DEL', key])),
    }
  }
  if (isIoRedis(client)) {
    return {
      ready: () => client.status === 'ready',
      get: async (key) => text(await client.get(key)),
      set: async (key, value, ms) => void (await client.set(key, value, 'PX', ms)),
      setIfAbsent: async (key, value, ms) => (await client.set(key, value, 'PX', ms, 'NX')) !== null,
      deleteIfEqual: async (key, value) => Number(await client.eval(DELETE_IF_EQUAL, 1, key, value)) === 1,
      del: async (key) => void (await client.del(key)),
    }
  }
  return undefined
}

function isNodeRedis(client: unknown): client is NodeRedisLike {
  return (
    typeof client === 'object' && client !== null && 'isReady' in client && hasFunction(client, 'sendCommand')
  )
}

function isIoRedis(client: unknown): client is IoRedisLike {
  return (
    typeof client === 'object' &&
    client !== null &&
    typeof (client as { status?: unknown }).status === 'string' &&
    ['get', 'set', 'del', 'eval'].every((name) => hasFunction(client, name))
  )
}

function hasFunction(value: object, name: string): boolean {
  return typeof (value as Record<string, unknown>)[name] === 'function'
}

/** GET answers a string or null; a client set to return buffers answers bytes. */
function text(reply: unknown): string | null {
  if (typeof reply === 'string' || reply === null) return reply
  if (reply instanceof Uint8Array) return new TextDecoder().decode(reply)
  return reply === undefined ? null : String(reply)
}
