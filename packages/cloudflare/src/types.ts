import type { Clock, M3terAuthEvent, TokenProviderOptions } from '@m3ter-auth/core'
import type { EncryptionKeyInput } from './token-cipher.ts'

// The few parts of the Workers runtime this package touches, typed by shape so that it needs neither
// @cloudflare/workers-types nor a `cloudflare:` import, and the real bindings fit them.

/**
 * A Durable Object stub: what `namespace.get(id)` returns.
 *
 * @example
 * ```ts
 * // A namespace double for a unit test outside workerd: every stub reaches the one broker.
 * const stub: DurableObjectStubLike = { fetch: (input, init) => broker.fetch(new Request(input, init)) }
 * const store = createDurableObjectStore({ idFromName: (name) => name, get: () => stub })
 * ```
 */
export interface DurableObjectStubLike {
  fetch(input: string, init?: RequestInit): Promise<Response>
}

/**
 * The binding of the broker's namespace in a Worker's `env` (`[[durable_objects.bindings]]`).
 *
 * @example
 * ```ts
 * const store = createDurableObjectStore(env.M3TER_TOKENS satisfies DurableObjectNamespaceLike)
 * ```
 */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown
  // `never`: the runtime's own DurableObjectId type is accepted as it is.
  get(id: never): DurableObjectStubLike
}

/**
 * The Durable Object's key-value storage (`ctx.storage`), on SQLite-backed and key-value-backed objects.
 *
 * @example
 * ```ts
 * // An in-memory storage for a broker in a unit test
 * const entries = new Map<string, unknown>()
 * const storage: DurableObjectStorageLike = {
 *   get: async (key) => entries.get(key),
 *   put: async (key, value) => void entries.set(key, value),
 *   delete: async (key) => entries.delete(key),
 * }
 * ```
 */
export interface DurableObjectStorageLike {
  get(key: string): Promise<unknown>
  put(key: string, value: unknown): Promise<void>
  delete(key: string): Promise<boolean>
}

/**
 * What the runtime passes as the first argument of a Durable Object's constructor.
 *
 * @example
 * ```ts
 * const state: DurableObjectStateLike = { storage }
 * const broker = new M3terTokenBroker(state, { M3TER_API_KEY: key, M3TER_API_SECRET: secret })
 * ```
 */
export interface DurableObjectStateLike {
  readonly storage: DurableObjectStorageLike
}

/**
 * The Worker's bindings the broker reads when no option says otherwise. The secrets are set with
 * `wrangler secret put`; none of them is ever written to storage or to a log.
 *
 * @example
 * ```toml
 * [vars]
 * M3TER_TOKEN_URL = "https://api.m3ter.com/oauth/token"
 * # secrets: M3TER_API_KEY, M3TER_API_SECRET, M3TER_TOKEN_ENCRYPTION_KEY
 * ```
 */
export interface TokenBrokerEnv {
  readonly M3TER_API_KEY?: string
  readonly M3TER_API_SECRET?: string
  readonly M3TER_TOKEN_URL?: string
  /** Base64 of 32 random bytes (`openssl rand -base64 32`): the token is then kept encrypted (AES-256-GCM). */
  readonly M3TER_TOKEN_ENCRYPTION_KEY?: string
}

/**
 * Options of {@link M3terTokenBroker}, for a subclass to pass to `super(state, env, options)`. Without
 * them the broker reads {@link TokenBrokerEnv}. The broker runs core's token provider with these options.
 *
 * @example
 * ```ts
 * import { M3terTokenBroker as Base, type DurableObjectStateLike } from '@m3ter-auth/cloudflare'
 *
 * // Both keys of a rotation pair: the broker falls back to the second when m3ter refuses the first.
 * export class M3terTokenBroker extends Base {
 *   constructor(state: DurableObjectStateLike, env: Env) {
 *     super(state, env, {
 *       credentials: [
 *         { accessKeyId: env.M3TER_API_KEY, apiSecret: env.M3TER_API_SECRET },
 *         { accessKeyId: env.M3TER_NEXT_API_KEY, apiSecret: env.M3TER_NEXT_API_SECRET },
 *       ],
 *       encryptionKey: env.M3TER_TOKEN_ENCRYPTION_KEY,
 *     })
 *   }
 * }
 * ```
 */
export interface TokenBrokerOptions
  extends Omit<TokenProviderOptions, 'store' | 'scope' | 'dangerouslyAllowBrowser' | 'onEvent'> {
  /**
   * Encrypts the token at rest (AES-256-GCM): 32 bytes as base64 text, a Uint8Array or a CryptoKey.
   * Default: the `M3TER_TOKEN_ENCRYPTION_KEY` secret, when set.
   */
  readonly encryptionKey?: EncryptionKeyInput | undefined
  /** Core's events, and `value_ignored` when the stored value could not be used. None carries a secret. */
  readonly onEvent?: ((event: TokenBrokerEvent) => void) | undefined
  /**
   * How long a request waits for a refresh already in flight before it is handed the current, still valid
   * token for a short while instead. Default 5 000.
   */
  readonly refreshWaitMs?: number
}

/**
 * Options of {@link createDurableObjectStore}.
 *
 * @example
 * ```ts
 * const store = createDurableObjectStore(env.M3TER_TOKENS, {
 *   timeoutMs: 5_000, // then this isolate fetches its own token
 *   onEvent: (event) => console.warn('m3ter token broker', event.type, event.reason),
 * })
 * ```
 */
export interface DurableObjectStoreOptions {
  /** Decides whether this isolate's copy is still fresh, and times out broker calls. Default: the system clock. */
  readonly clock?: Clock
  /** Longest wait for the broker, a token request it makes included. Default 10 000. */
  readonly timeoutMs?: number
  readonly onEvent?: (event: BrokerStoreEvent) => void
}

/**
 * What the store reports when the broker could not help and the isolate goes on by itself (it then
 * fetches its own token, as core does without a store). Carries no token and no secret.
 *
 * @example
 * ```ts
 * onEvent: (e) => { if (e.type === 'broker_unavailable') console.warn('broker', e.op, e.reason) }
 * ```
 */
export type BrokerStoreEvent =
  | {
      readonly type: 'broker_unavailable'
      readonly op: 'get' | 'delete'
      /** `unreachable`, `timeout`, an HTTP status as `status_503`, or the broker's own code. */
      readonly reason: string
      readonly at: number
    }
  | {
      readonly type: 'broker_declined'
      /** The broker holds other credentials than this isolate (or none): this key is not its to serve. */
      readonly reason: 'unknown_key'
      readonly at: number
    }

/**
 * Why the broker's stored value was not used (it is replaced by the next token): `corrupt`,
 * `newer_version` (written by a newer release), `wrong_key` (another encryption key, or another Service
 * User's), `encrypted` (sealed, and the broker has no key now), `not_encrypted` (in clear, and the broker
 * now has a key). The same reasons as @m3ter-auth/redis gives.
 *
 * @example
 * ```ts
 * onEvent: (e) => { if (e.type === 'value_ignored' && e.reason === 'wrong_key') console.warn('token key changed') }
 * ```
 */
export type IgnoredReason = 'corrupt' | 'newer_version' | 'wrong_key' | 'encrypted' | 'not_encrypted'

/**
 * What the broker reports through `onEvent`: core's events of its provider, and the storage's own.
 *
 * @example
 * ```ts
 * super(state, env, {
 *   onEvent: (event: TokenBrokerEvent) => {
 *     if (event.type === 'credentials_rejected' || event.type === 'value_ignored') console.error(event)
 *   },
 * })
 * ```
 */
export type TokenBrokerEvent =
  | M3terAuthEvent
  | { readonly type: 'value_ignored'; readonly reason: IgnoredReason; readonly at: number }

export type { EncryptionKeyInput, M3terAuthEvent }
