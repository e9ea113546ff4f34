export type { IoRedisLike, NodeRedisLike, RedisClient } from './client.ts'
export { type IgnoredReason, VALUE_VERSION } from './codec.ts'
export type { EncryptionKeyInput } from './crypto.ts'
export {
  createRedisStore,
  type RedisStoreEvent,
  type RedisStoreOperation,
  type RedisStoreOptions,
} from './redis-store.ts'
