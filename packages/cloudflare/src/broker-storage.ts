import type { StoredToken, TokenStore } from '@m3ter-auth/core'
import { FORMAT_VERSION, parseStoredToken } from './protocol.ts'
import type { TokenCipher } from './token-cipher.ts'
import type { DurableObjectStorageLike, IgnoredReason } from './types.ts'

/** Revoked tokens remembered at once: far more than a few revocations per token lifetime. */
const MAX_TOMBSTONES = 64

/** The broker's one storage entry. */
const ENTRY = 'm3ter-auth:token'

/**
 * What is kept under {@link ENTRY}: `{ v: 1, key, token }`, or `{ v: 1, key, sealed }` with an encryption
 * key (the token's JSON under AES-256-GCM, bound to the store key): the value format of @m3ter-auth/redis,
 * plus the store key it belongs to.
 */
interface Entry {
  readonly v: number
  readonly key: string
  readonly token?: StoredToken
  readonly sealed?: string
}

/**
 * Core's {@link TokenStore} on a Durable Object's storage: the broker's own provider keeps its token here
 * so that an evicted or restarted broker takes it up again instead of asking m3ter for another.
 *
 * @example
 * ```ts
 * const storage: BrokerStorage = createBrokerStorage(state.storage, cipher, onIgnored)
 * const provider = createTokenProvider({ credentials, store: storage })
 * provider.invalidate(rejected)
 * await storage.flushed() // answer the isolate only once the deletion has reached storage
 * ```
 */
export interface BrokerStorage extends TokenStore {
  /** The token last written, or last read and handed to the provider: what compare-and-delete compares. */
  current(): StoredToken | undefined
  /** Settles once every write started so far has reached storage (or failed). */
  flushed(): Promise<void>
}

/**
 * The broker is the only writer of its storage, so the copy in memory is the truth, and writes go out one
 * after another in the order they were made (sealing is asynchronous and must not reorder a put and a
 * delete). A value that cannot be used is reported through `onIgnored` and left to be replaced.
 *
 * Writes are fenced as the Redis store's are: a token never replaces one that expires later (a late write
 * of an older token), and a compare-and-delete leaves a tombstone for the revoked token's remaining
 * lifetime, so no late write brings it back.
 *
 * @example
 * ```ts
 * const storage = createBrokerStorage(state.storage, cipher, (reason) => log(reason))
 * const auth = createTokenProvider({ credentials, store: storage })
 * ```
 */
export function createBrokerStorage(
  storage: DurableObjectStorageLike,
  cipher: TokenCipher | undefined,
  onIgnored: (reason: IgnoredReason) => void,
): BrokerStorage {
  let current: StoredToken | undefined
  // Revoked tokens, until they would have expired anyway.
  const tombstones = new Map<string, number>()
  const revoked = (accessToken: string, now: number) => {
    for (const [token, until] of tombstones) if (until <= now) tombstones.delete(token)
    return tombstones.has(accessToken)
  }
  let writes: Promise<void> = Promise.resolve()
  const write = (work: () => Promise<unknown>) => {
    writes = writes.then(work).then(
      () => {},
      () => {},
    )
    return writes
  }

  return {
    current: () => current,
    flushed: () => writes,
    async get(key) {
      await writes
      const value = await storage.get(ENTRY)
      if (value === undefined) return undefined
      const read = await decode(value, key, cipher)
      if ('ignored' in read) {
        onIgnored(read.ignored)
        return undefined
      }
      current = read.token
      return read.token
    },
    set(key, token) {
      // Times of the one clock (the broker's): comparing them is sound here.
      if (revoked(token.accessToken, token.obtainedAt)) return writes
      if (current && current.accessToken !== token.accessToken && current.expiresAt > token.expiresAt)
        return writes
      current = token
      return write(async () => storage.put(ENTRY, await encode(key, token, cipher)))
    },
    delete(_key, accessToken) {
      if (accessToken !== undefined) {
        const until = current?.accessToken === accessToken ? current.expiresAt : Number.POSITIVE_INFINITY
        tombstones.set(accessToken, until)
        // Invalidations are a few per lifetime; a flood of made-up tokens must not grow memory.
        if (tombstones.size > MAX_TOMBSTONES) tombstones.delete(tombstones.keys().next().value as string)
        if (current?.accessToken !== accessToken) return writes
      }
      current = undefined
      return write(() => storage.delete(ENTRY))
    },
  }
}

async function encode(key: string, token: StoredToken, cipher: TokenCipher | undefined): Promise<Entry> {
  const { accessToken, obtainedAt, expiresAt, refreshAt } = token
  const plain = { accessToken, obtainedAt, expiresAt, refreshAt }
  if (!cipher) return { v: FORMAT_VERSION, key, token: plain }
  return { v: FORMAT_VERSION, key, sealed: await cipher.seal(JSON.stringify(plain), key) }
}

type Decoded = { readonly token: StoredToken } | { readonly ignored: IgnoredReason }

async function decode(value: unknown, key: string, cipher: TokenCipher | undefined): Promise<Decoded> {
  if (typeof value !== 'object' || value === null) return { ignored: 'corrupt' }
  const entry = value as Partial<Entry>
  if (!Number.isSafeInteger(entry.v) || (entry.v as number) < 1) return { ignored: 'corrupt' }
  if ((entry.v as number) > FORMAT_VERSION) return { ignored: 'newer_version' }
  // Filed under another store key: the credentials in the Worker's secrets changed.
  if (entry.key !== key) return { ignored: 'wrong_key' }
  let token: unknown = entry.token
  if (typeof entry.sealed === 'string') {
    if (!cipher) return { ignored: 'encrypted' }
    const opened = await cipher.open(entry.sealed, key)
    if (opened === undefined) return { ignored: 'wrong_key' }
    try {
      token = JSON.parse(opened)
    } catch {
      return { ignored: 'corrupt' }
    }
  } else if (cipher) return { ignored: 'not_encrypted' }
  const parsed = parseStoredToken(token)
  return parsed ? { token: parsed } : { ignored: 'corrupt' }
}
