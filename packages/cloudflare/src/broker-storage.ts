import type { StoredToken, TokenStore } from '@m3ter-auth/core'
import { FORMAT_VERSION, parseStoredToken } from './protocol.ts'
import { isSealed, type Sealed, type TokenCipher } from './token-cipher.ts'
import type { DurableObjectStorageLike } from './types.ts'

/** The broker's one storage entry. */
const ENTRY = 'm3ter-auth:token'

/** What is kept under {@link ENTRY}: the token in clear, or sealed when an encryption key is set. */
interface Entry {
  readonly v: typeof FORMAT_VERSION
  readonly key: string
  readonly token?: StoredToken
  readonly sealed?: Sealed
}

/**
 * Core's {@link TokenStore} on a Durable Object's storage: the broker's own provider keeps its token here
 * so that an evicted or restarted broker takes it up again instead of asking m3ter for another.
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
 * delete).
 *
 * @example
 * ```ts
 * const storage = createBrokerStorage(state.storage, cipher)
 * const auth = createTokenProvider({ credentials, store: storage })
 * ```
 */
export function createBrokerStorage(
  storage: DurableObjectStorageLike,
  cipher: TokenCipher | undefined,
): BrokerStorage {
  let current: StoredToken | undefined
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
      const token = await decode(await storage.get(ENTRY), key, cipher)
      if (token) current = token
      return token
    },
    set(key, token) {
      current = token
      return write(async () => storage.put(ENTRY, await encode(key, token, cipher)))
    },
    delete(_key, accessToken) {
      if (accessToken !== undefined && current?.accessToken !== accessToken) return writes
      current = undefined
      return write(() => storage.delete(ENTRY))
    },
  }
}

async function encode(key: string, token: StoredToken, cipher: TokenCipher | undefined): Promise<Entry> {
  if (!cipher) return { v: FORMAT_VERSION, key, token }
  return { v: FORMAT_VERSION, key, sealed: await cipher.seal(JSON.stringify(token), key) }
}

async function decode(
  value: unknown,
  key: string,
  cipher: TokenCipher | undefined,
): Promise<StoredToken | undefined> {
  if (typeof value !== 'object' || value === null) return undefined
  const entry = value as Partial<Entry>
  // Another format, another Service User, or written with(out) encryption when it is now off (on): ignored,
  // and replaced by the next token.
  if (entry.v !== FORMAT_VERSION || entry.key !== key) return undefined
  if (!cipher) return parseStoredToken(entry.token)
  if (!isSealed(entry.sealed)) return undefined
  const plain = await cipher.open(entry.sealed, key)
  if (plain === undefined) return undefined
  try {
    return parseStoredToken(JSON.parse(plain))
  } catch {
    return undefined
  }
}
