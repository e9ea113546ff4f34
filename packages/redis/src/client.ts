import { DELETE_IF_EQUAL, READ, REVOKE, WRITE } from './scripts.ts'

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
  /** True from `connect()` on, also while (re)connecting. */
  readonly isOpen?: boolean
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
 * What READ found: the raw value and its key's PTTL (-3: the value's token has a tombstone).
 *
 * @example
 * ```ts
 * const found: Found | undefined = await commands.read(redisKey)
 * if (found) await decodeValue(found.raw, found.pttl, readAt, redisKey, cipher)
 * ```
 */
export interface Found {
  readonly raw: string
  readonly pttl: number
}

/**
 * The few commands the store needs, the same on both clients (and on Valkey). The token's own commands are
 * Lua scripts (scripts.ts): each compares and writes in one step on Redis's clock.
 *
 * @example
 * ```ts
 * const commands: Commands | undefined = commandsOf(client)
 * if (commands?.ready()) await commands.read(redisKey)
 * ```
 */
export interface Commands {
  /** Whether a command sent now goes to the server at once (rather than into a queue). */
  ready(): boolean
  /** Whether the client is making a connection now (its first, or a reconnect). */
  connecting(): boolean
  /** Resolves once the client is ready, or after `ms` (real time: it waits on real I/O) at the latest. */
  whenReady(ms: number): Promise<void>
  /** GET and PTTL in one step; undefined when there is no value. */
  read(key: string): Promise<Found | undefined>
  /** The fenced write: 1 written, 0 kept a token that expires later, -1 refused a revoked token. */
  write(key: string, value: string, ms: number, hash: string, unusable: string): Promise<number>
  /** Compare-and-delete on the token's hash, leaving a tombstone; true when it deleted. */
  revoke(key: string, hash: string, tombstoneMs: number): Promise<boolean>
  /** SET key value NX PX ms: true when set, false when the key exists. */
  setIfAbsent(key: string, value: string, ms: number): Promise<boolean>
  /** Deletes `key` only while it still holds `value`, atomically (Lua). */
  deleteIfEqual(key: string, value: string): Promise<boolean>
  del(key: string): Promise<void>
}

type Evaluate = (script: string, key: string, ...args: string[]) => Promise<unknown>

/**
 * Wraps either client into {@link Commands}; undefined when `client` is neither.
 *
 * @example
 * ```ts
 * const commands = commandsOf(client)
 * if (commands?.ready()) await commands.read(key)
 * ```
 */
export function commandsOf(client: unknown): Commands | undefined {
  if (isNodeRedis(client)) {
    const send = (args: string[]) => client.sendCommand(args)
    return scripted(
      {
        ready: () => client.isReady === true,
        connecting: () => client.isOpen === true && client.isReady !== true,
        whenReady: (ms) => readyEvent(client, ms),
        setIfAbsent: async (key, value, ms) =>
          (await send(['SET', key, value, 'NX', 'PX', String(ms)])) !== null,
        del: async (key) => void (await send(['DEL', key])),
      },
      (script, key, ...args) => send(['EVAL', script, '1', key, ...args]),
    )
  }
  if (isIoRedis(client)) {
    return scripted(
      {
        ready: () => client.status === 'ready',
        connecting: () => client.status === 'connecting' || client.status === 'connect',
        whenReady: (ms) => readyEvent(client, ms),
        setIfAbsent: async (key, value, ms) => (await client.set(key, value, 'PX', ms, 'NX')) !== null,
        del: async (key) => void (await client.del(key)),
      },
      (script, key, ...args) => client.eval(script, 1, key, ...args),
    )
  }
  return undefined
}

/** The commands that are Lua scripts, the same on both clients once they can EVAL. */
function scripted(
  plain: Omit<Commands, 'read' | 'write' | 'revoke' | 'deleteIfEqual'>,
  evaluate: Evaluate,
): Commands {
  return {
    ...plain,
    async read(key) {
      const reply = await evaluate(READ, key)
      if (!Array.isArray(reply)) return undefined
      const raw = text(reply[0])
      return raw === null ? undefined : { raw, pttl: Number(reply[1]) }
    },
    write: async (key, value, ms, hash, unusable) =>
      Number(await evaluate(WRITE, key, value, String(ms), hash, unusable)),
    revoke: async (key, hash, tombstoneMs) =>
      Number(await evaluate(REVOKE, key, hash, String(Math.max(1, Math.ceil(tombstoneMs))))) === 1,
    deleteIfEqual: async (key, value) => Number(await evaluate(DELETE_IF_EQUAL, key, value)) === 1,
  }
}

interface Emitter {
  once(event: string, listener: () => void): unknown
  removeListener(event: string, listener: () => void): unknown
}

/** Waits for the client's `ready` event, at most `ms`; a client that is no event emitter is not waited for. */
function readyEvent(client: object, ms: number): Promise<void> {
  const emitter = client as Partial<Emitter>
  if (typeof emitter.once !== 'function' || typeof emitter.removeListener !== 'function')
    return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      emitter.removeListener?.('ready', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    // A store never keeps a process alive (nor does core: contract 11).
    ;(timer as { unref?: () => void }).unref?.()
    emitter.once?.('ready', done)
  })
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

/** A bulk reply is a string or null; a client set to return buffers answers bytes. */
function text(reply: unknown): string | null {
  if (typeof reply === 'string' || reply === null) return reply
  if (reply instanceof Uint8Array) return new TextDecoder().decode(reply)
  return reply === undefined ? null : String(reply)
}
