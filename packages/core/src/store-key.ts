import type { Credentials } from './credentials.ts'

/**
 * PBKDF2-SHA-256 rounds that bind a store key to the API secret. Deriving a key costs about 20 ms once per
 * access key and process (it is cached), so an offline guess of a weak secret from a key seen in a shared
 * store costs as much per guess; 100 000 is also the most Cloudflare Workers' Web Crypto allows.
 *
 * @example
 * ```ts
 * expect(STORE_KEY_ITERATIONS).toBeLessThanOrEqual(100_000) // workerd refuses more
 * ```
 */
export const STORE_KEY_ITERATIONS = 100_000

const PREFIX = 'm3ter-auth:v2:'
const CACHED = 256
// Derived keys by a SHA-256 of their inputs: the secret itself is never kept here, and a provider that is
// closed and forgotten leaves only a digest of it.
const cache = new Map<string, Promise<string>>()
// Derived keys by the very credentials object they were derived for, per token URL: what lets an attempt
// with a key it has seen before go on without an await (real crypto runs outside any injected clock, so a
// test on a manual clock or the fleet simulation could not be deterministic otherwise). Only frozen
// objects are remembered, so the secret behind an entry cannot change; a WeakMap holds neither the
// object nor its secret alive.
const known = new WeakMap<Credentials, Map<string, string>>()

/**
 * The key a token is filed under in a shared store: `m3ter-auth:v2:` and 64 hex digits of PBKDF2 over the
 * token URL and access key id, keyed by the API secret. Members that hold the same Service User's secret
 * share it; a member with the right key id and another secret (another tenant, a typo) gets another key,
 * so it is never served the token, and the key does not reveal the secret or make guessing it cheap.
 *
 * @example
 * ```ts
 * const key = await storeKeyOf('https://api.m3ter.com/oauth/token', { accessKeyId, apiSecret })
 * await store.get(key)
 * ```
 */
export function storeKeyOf(tokenUrl: string, credentials: Credentials): Promise<string> {
  const remembered = knownStoreKey(tokenUrl, credentials)
  if (remembered) return Promise.resolve(remembered)
  const { accessKeyId, apiSecret } = credentials
  const salt = `${PREFIX}${tokenUrl}\n${accessKeyId}`
  return digestHex(`${salt}\n${apiSecret}`)
    .then((digest) => {
      let key = cache.get(digest)
      if (!key) {
        key = derive(apiSecret, salt)
        cache.set(digest, key)
        key.catch(() => cache.delete(digest))
        if (cache.size > CACHED) cache.delete(cache.keys().next().value as string)
      }
      return key
    })
    .then((key) => remember(tokenUrl, credentials, key))
}

/**
 * The store key of {@link storeKeyOf} when it is already known for this very credentials object (a frozen
 * one, as the provider keeps the keys it was given), without waiting; else undefined. The provider's warm
 * path: after its first attempt, it files and finds tokens with no asynchronous step in between.
 *
 * @example
 * ```ts
 * const credentials = Object.freeze({ accessKeyId, apiSecret })
 * await storeKeyOf(tokenUrl, credentials) // derive once, e.g. before a test moves a manual clock
 * knownStoreKey(tokenUrl, credentials) // 'm3ter-auth:v2:…', synchronously
 * ```
 */
export function knownStoreKey(tokenUrl: string, credentials: Credentials): string | undefined {
  return known.get(credentials)?.get(tokenUrl)
}

function remember(tokenUrl: string, credentials: Credentials, key: string): string {
  if (unchangeable(credentials)) {
    const byUrl = known.get(credentials) ?? new Map<string, string>()
    known.set(credentials, byUrl.set(tokenUrl, key))
  }
  return key
}

// Frozen data properties: a getter could answer another secret next time, and so another key.
function unchangeable(credentials: Credentials): boolean {
  const fixed = (name: keyof Credentials) =>
    Object.getOwnPropertyDescriptor(credentials, name)?.writable === false
  return Object.isFrozen(credentials) && fixed('accessKeyId') && fixed('apiSecret')
}

async function derive(secret: string, salt: string): Promise<string> {
  const encoder = new TextEncoder()
  const material = await crypto.subtle.importKey('raw', encoder.encode(secret), 'PBKDF2', false, [
    'deriveBits',
  ])
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: encoder.encode(salt), iterations: STORE_KEY_ITERATIONS },
    material,
    256,
  )
  return PREFIX + hex(bits)
}

async function digestHex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
}

function hex(buffer: ArrayBuffer): string {
  let out = ''
  for (const byte of new Uint8Array(buffer)) out += byte.toString(16).padStart(2, '0')
  return out
}
