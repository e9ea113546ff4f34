import { M3terAuthError, type StoredToken, type TokenLease, type TokenStore } from '@m3ter-auth/core'
import { createTokenCipher } from '@m3ter-auth/core/internals'
import { type Commands, commandsOf, type RedisClient } from './client.ts'
import { decodeValue, encodeValue, type IgnoredReason, MAX_LIFETIME_MS } from './codec.ts'
import { type EncryptionKeyInput, isWeakKey, randomHex, sha256Hex } from './crypto.ts'

/**
 * Options of {@link createRedisStore}.
 *
 * @example
 * ```ts
 * createRedisStore({ client, prefix: 'billing:m3ter:', encryptionKey: process.env.M3TER_TOKEN_KEY })
 * ```
 */
export interface RedisStoreOptions {
  /**
   * An ioredis `Redis` or `Cluster`, or a node-redis client. One still making its first connection when
   * first used is waited for (within `timeoutMs`); once it has been ready, a client that is not is never
   * sent a command (it would queue it and send it after a reconnect).
   */
  readonly client: RedisClient
  /** Put before every key. Default `'m3ter-auth:'`. */
  readonly prefix?: string
  /**
   * Encrypts tokens at rest with AES-256-GCM (Web Crypto): 32 bytes, base64 of 32 bytes, or a CryptoKey.
   * Every member of the fleet needs the same key; a value sealed with another reads as "no token". A key
   * with few distinct bytes (all zero, one byte repeated) is no random key: refused with `invalid_options`.
   */
  readonly encryptionKey?: EncryptionKeyInput | undefined
  /** What the store saw: commands not sent or failed, values ignored, leases. No secret, no token. */
  readonly onEvent?: (event: RedisStoreEvent) => void
  /**
   * The provider's clock. Redis keeps each token's remaining lifetime (its TTL, on Redis's clock); a read
   * rebuilds the token's times from this clock, so members whose wall clocks differ each judge the token
   * in their own time. Default `Date.now`.
   */
  readonly clock?: { now(): number }
  /** How long the provider waits for one Redis call before going on without it, in ms. Default 500. */
  readonly timeoutMs?: number
}

/**
 * A store operation, as events name it.
 *
 * @example
 * ```ts
 * const failed = new Map<RedisStoreOperation, number>()
 * const store = createRedisStore({
 *   client,
 *   onEvent: (e) => {
 *     if (e.type === 'command_failed') failed.set(e.operation, (failed.get(e.operation) ?? 0) + 1)
 *   },
 * })
 * ```
 */
export type RedisStoreOperation = 'get' | 'set' | 'delete' | 'lease' | 'release'

/**
 * Events of a Redis store. `key` is the Redis key (a prefix and a SHA-256): never a secret.
 *
 * @example
 * ```ts
 * onEvent: (e) => { if (e.type === 'not_ready') metrics.increment('m3ter.redis.skipped', { op: e.operation }) }
 * ```
 */
export type RedisStoreEvent =
  /** The client was not connected: the command was not sent (a queued command could replay later). */
  | { readonly type: 'not_ready'; readonly operation: RedisStoreOperation; readonly at: number }
  /** Redis answered with an error, or the connection failed. */
  | { readonly type: 'command_failed'; readonly operation: RedisStoreOperation; readonly at: number }
  /** A stored value could not be used; it reads as "no token" and the next write replaces it. */
  | {
      readonly type: 'value_ignored'
      readonly reason: IgnoredReason
      readonly key: string
      readonly at: number
    }
  /**
   * A write was not made: `newer_stored` (the stored token expires later, so it is the newer one: this
   * member's write came late, from a holder that stalled past its lease, say) or `revoked` (the token was
   * revoked meanwhile; its tombstone refuses it).
   */
  | {
      readonly type: 'write_refused'
      readonly reason: 'newer_stored' | 'revoked'
      readonly key: string
      readonly at: number
    }
  | { readonly type: 'lease_acquired'; readonly key: string; readonly at: number }
  | { readonly type: 'lease_busy'; readonly key: string; readonly at: number }
  /** `held`: false when the lease had expired (and may be another member's by now): it was left alone. */
  | { readonly type: 'lease_released'; readonly key: string; readonly held: boolean; readonly at: number }

const DEFAULT_PREFIX = 'm3ter-auth:'
const DEFAULT_TIMEOUT_MS = 500

/**
 * A core `TokenStore` on Redis (or Valkey): one token request per token lifetime for a whole fleet of
 * processes. Keys are `<prefix><sha-256 of the core key>` (core's key is bound to the API secret, so a member
 * with another secret never shares a token); the lease is `SET NX PX` with a random fencing value, released
 * by a Lua compare-and-delete. Writes are fenced in one Lua step: a token never replaces one that expires
 * later, and a revoked token (compare-and-delete leaves a tombstone) is never written back. Commands are
 * sent only while the client is connected; a failing Redis makes the provider fetch for itself (no request
 * fails), and sharing resumes when Redis is back.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis'
 * import { createTokenProvider } from '@m3ter-auth/core'
 * import { createRedisStore } from '@m3ter-auth/redis'
 *
 * const store = createRedisStore({ client: new Redis(process.env.REDIS_URL!) })
 * const auth = createTokenProvider({ store }) // every process of the fleet does the same
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): TokenStore {
  if (typeof options !== 'object' || options === null) invalid('options must be an object')
  const commands = commandsOf(options.client)
  if (!commands) invalid('client must be an ioredis Redis or Cluster, or a node-redis client')
  const prefix = options.prefix ?? DEFAULT_PREFIX
  if (typeof prefix !== 'string') invalid('prefix must be a string')
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) invalid('timeoutMs must be a number > 0')
  const keyInput = options.encryptionKey
  if (keyInput !== undefined && isWeakKey(keyInput))
    invalid('encryptionKey has too few distinct bytes to be a random key (use `openssl rand -base64 32`)')
  const cipher = keyInput === undefined ? undefined : createTokenCipher(keyInput, 'createRedisStore')
  const now = () => (options.clock ?? Date).now()
  const emit = (event: Record<string, unknown> & { type: RedisStoreEvent['type'] }) => {
    try {
      options.onEvent?.({ ...event, at: now() } as RedisStoreEvent)
    } catch {
      // An observer's bug must not break the store.
    }
  }
  const redisKeys = new Map<string, Promise<string>>()
  const redisKeyOf = (key: string) => {
    let hashed = redisKeys.get(key)
    if (!hashed) {
      hashed = sha256Hex(key).then((hex) => `${prefix}${hex}`)
      redisKeys.set(key, hashed)
    }
    return hashed
  }
  const run = send(commands, emit, timeoutMs)
  // The value last read as unusable, by Redis key: the one value a write may replace whatever its TTL.
  const unusable = new Map<string, string>()

  async function read(redisKey: string): Promise<StoredToken | undefined> {
    const readAt = now()
    const found = await run('get', (c) => c.read(redisKey))
    unusable.delete(redisKey)
    if (!found) return undefined
    const decoded = await decodeValue(found.raw, found.pttl, readAt, redisKey, cipher)
    if ('token' in decoded) return decoded.token
    emit({ type: 'value_ignored', reason: decoded.ignored, key: redisKey })
    if (decoded.ignored !== 'revoked') unusable.set(redisKey, found.raw)
    return undefined
  }

  return {
    timeoutMs,
    async get(key) {
      return read(await redisKeyOf(key))
    },
    async set(key, token) {
      const redisKey = await redisKeyOf(key)
      const encoded = await encodeValue(token, now(), redisKey, cipher)
      if (!encoded) return
      const { value, ttlMs, hash } = encoded
      const written = await run('set', (c) =>
        c.write(redisKey, value, ttlMs, hash, unusable.get(redisKey) ?? ''),
      )
      if (written === 1) unusable.delete(redisKey)
      else emit({ type: 'write_refused', reason: written === 0 ? 'newer_stored' : 'revoked', key: redisKey })
    },
    async delete(key, accessToken) {
      const redisKey = await redisKeyOf(key)
      if (accessToken === undefined) return void (await run('delete', (c) => c.del(redisKey)))
      // Compare-and-delete on the token's hash, leaving a tombstone that refuses any later write of it.
      const hash = await sha256Hex(accessToken)
      await run('delete', (c) => c.revoke(redisKey, hash, MAX_LIFETIME_MS))
    },
    async lease(key, ttlMs): Promise<TokenLease | undefined> {
      const leaseKey = `${await redisKeyOf(key)}:lease`
      const fence = randomHex(16)
      const taken = await run('lease', (c) => c.setIfAbsent(leaseKey, fence, Math.max(1, Math.ceil(ttlMs))))
      if (!taken) {
        emit({ type: 'lease_busy', key: leaseKey })
        return undefined
      }
      emit({ type: 'lease_acquired', key: leaseKey })
      return {
        async release() {
          const held = await run('release', (c) => c.deleteIfEqual(leaseKey, fence))
          emit({ type: 'lease_released', key: leaseKey, held })
        },
      }
    },
  }
}

/**
 * Sends a command only while the client is connected: ioredis and node-redis would otherwise queue it
 * and send it after a reconnect, where a stale lease blocks the fleet and a stale write brings back a
 * revoked token. Failures are reported, then rethrown for the provider to go on without the store.
 */
function send(
  commands: Commands,
  emit: (event: { type: 'not_ready' | 'command_failed'; operation: RedisStoreOperation }) => void,
  timeoutMs: number,
) {
  // A client made just before first use (`new Redis(url)`, as the README shows) is still connecting: wait
  // for it, or a cold fleet shares nothing. Once it has been ready, a client that is not is reconnecting
  // after a failure, and the call fails at once.
  let everReady = false
  return async <T>(operation: RedisStoreOperation, command: (c: Commands) => Promise<T>): Promise<T> => {
    if (!everReady && !commands.ready() && commands.connecting()) await commands.whenReady(timeoutMs)
    if (commands.ready()) everReady = true
    else {
      emit({ type: 'not_ready', operation })
      throw new Error(`@m3ter-auth/redis: ${operation} not sent, the Redis client is not connected`)
    }
    try {
      return await command(commands)
    } catch {
      emit({ type: 'command_failed', operation })
      // The client's error may quote the command, and with it a token: say only what failed.
      throw new Error(`@m3ter-auth/redis: ${operation} failed`)
    }
  }
}

function invalid(what: string): never {
  throw new M3terAuthError('invalid_options', `createRedisStore: ${what}`)
}
