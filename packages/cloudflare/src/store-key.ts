import type { Credentials, CredentialsSource } from '@m3ter-auth/core'
import { storeKeyOf } from '@m3ter-auth/core/internals'

/**
 * The key core's provider files a token under for one access key (its `TokenStore` calls carry it): core's
 * `storeKeyOf`, a PBKDF2 of the token URL and access key id keyed by the API secret. The broker compares the
 * keys the isolates ask for with its own, so it serves its token only to a Worker that holds the same
 * secret: a request that knows the key id alone (or another tenant with the same key id and another secret)
 * is declined. A test pins this against core's real store calls.
 *
 * @example
 * ```ts
 * // An admin route that makes the whole fleet take a new token at once
 * const store = createDurableObjectStore(env.M3TER_TOKENS)
 * const key = await storeKeyFor('https://api.m3ter.com/oauth/token', {
 *   accessKeyId: env.M3TER_API_KEY,
 *   apiSecret: env.M3TER_API_SECRET,
 * })
 * const current = await store.get(key)
 * if (current) await store.delete(key, current.accessToken) // compare-and-delete at the broker
 * ```
 */
export function storeKeyFor(tokenUrl: string, credentials: Credentials): Promise<string> {
  return storeKeyOf(new URL(tokenUrl).href, credentials)
}

/**
 * The keys a broker with these credentials serves: both keys of a pair (a token of either serves the one
 * Service User), none for a credentials function (its keys are known only when it is called).
 *
 * @example
 * ```ts
 * const known = await staticKeys(tokenUrl, credentials) // undefined for a credentials function
 * if (known && !known.includes(query.key)) return refusal(409, 'unknown_key')
 * ```
 */
export async function staticKeys(
  tokenUrl: string,
  credentials: CredentialsSource,
): Promise<string[] | undefined> {
  if (typeof credentials === 'function') return undefined
  const list: readonly Credentials[] = Array.isArray(credentials) ? credentials : [credentials as Credentials]
  return Promise.all(list.map((c) => storeKeyFor(tokenUrl, c)))
}

/**
 * The Durable Object name for a store key: a digest, so no URL or key id shows in the dashboard.
 *
 * @example
 * ```ts
 * const stub = namespace.get(namespace.idFromName(await objectNameFor(key)))
 * ```
 */
export async function objectNameFor(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))
  let hex = ''
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, '0')
  return `m3ter-auth:${hex}`
}
