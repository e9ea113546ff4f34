import { M3terAuthError } from './errors.ts'

/**
 * One m3ter Service User access key: the id and the API secret shown once when the key is created.
 *
 * @example
 * ```ts
 * import { createTokenProvider, type Credentials } from '@m3ter-auth/core'
 *
 * const credentials: Credentials = { accessKeyId: process.env.M3TER_API_KEY!, apiSecret: process.env.M3TER_API_SECRET! }
 * const auth = createTokenProvider({ credentials })
 * ```
 */
export interface Credentials {
  readonly accessKeyId: string
  readonly apiSecret: string
}

/**
 * Where the provider gets its key:
 * - one {@link Credentials};
 * - `[primary, secondary]`, the two keys m3ter allows a Service User at once: when the token endpoint
 *   rejects one, the other is tried, so a key can be rotated without a failed request;
 * - a function, asked at every token request (a secret manager, say); it may return a promise.
 *
 * Keys given as values are checked when the provider is created; a function's answer at each request.
 *
 * @example
 * ```ts
 * // Rotation: deploy with both keys, then revoke the old one in m3ter; no request fails meanwhile.
 * createTokenProvider({ credentials: [oldKey, newKey] })
 *
 * // A secret manager, read at each token request (about once per token lifetime).
 * createTokenProvider({ credentials: async () => JSON.parse(await secrets.get('m3ter-service-user')) })
 * ```
 */
export type CredentialsSource =
  | Credentials
  | readonly [Credentials, Credentials]
  | (() => Credentials | Promise<Credentials>)

/**
 * The environment variable holding the access key id, read when no `credentials` are given (at the first
 * token request, never at import). The same name m3ter's official SDKs read.
 *
 * @example
 * ```ts
 * // M3TER_API_KEY=... M3TER_API_SECRET=... node app.js
 * if (!process.env[ENV_ACCESS_KEY_ID]) console.warn(`set ${ENV_ACCESS_KEY_ID} and ${ENV_API_SECRET}`)
 * ```
 */
export const ENV_ACCESS_KEY_ID = 'M3TER_API_KEY'
/**
 * The environment variable holding the API secret, read with {@link ENV_ACCESS_KEY_ID}.
 *
 * @example
 * ```ts
 * const credentials = { accessKeyId: process.env[ENV_ACCESS_KEY_ID]!, apiSecret: process.env[ENV_API_SECRET]! }
 * ```
 */
export const ENV_API_SECRET = 'M3TER_API_SECRET'

/**
 * Checks one key the way m3ter would read it: both parts non-blank strings, and no `:` in the key id
 * (Basic auth splits on the first colon). Messages never show the secret.
 *
 * @param value - anything that should be a {@link Credentials}
 * @param where - where it came from, to start the error message (`credentials[1]`, a flag's name)
 * @returns the key, narrowed to its two fields
 * @throws M3terAuthError `invalid_options`, naming the part that is wrong
 *
 * @example
 * ```ts
 * // A CLI that takes a key from flags fails before any request, with a message that names the flag.
 * const key = validateCredentials({ accessKeyId: flags.key, apiSecret: flags.secret }, '--key/--secret')
 * ```
 */
export function validateCredentials(value: unknown, where: string): Credentials {
  const { accessKeyId, apiSecret } = (value ?? {}) as Record<string, unknown>
  const blank = (part: unknown) => typeof part !== 'string' || !part.trim()
  const problem = blank(accessKeyId)
    ? 'accessKeyId must be a non-empty string'
    : (accessKeyId as string).includes(':')
      ? "accessKeyId must not contain ':'"
      : blank(apiSecret)
        ? 'apiSecret must be a non-empty string'
        : ''
  if (problem) throw new M3terAuthError('invalid_options', `${where}: ${problem}`)
  // Frozen, and a frozen key kept as given: an object that cannot change is what lets its store key, once
  // derived, be found without an await (store-key.ts), by the provider and by whoever derived it first.
  return (Object.isFrozen(value) ? value : Object.freeze({ accessKeyId, apiSecret })) as Credentials
}

/** Credentials in a form the provider can ask for by key index, whatever the user gave. */
export interface CredentialsResolver {
  readonly keyCount: number
  resolve(keyIndex: number): Promise<Credentials>
}

/**
 * Normalises a {@link CredentialsSource} into keys asked for by index (0 primary, 1 secondary). Keys given
 * as values are checked now, so a typo fails at construction; a function and the environment are read at
 * each token request, never at import.
 *
 * @example
 * ```ts
 * const resolver = credentialsResolver([primary, secondary])
 * resolver.keyCount // 2
 * await resolver.resolve(1) // secondary, after the token endpoint rejected the primary
 * ```
 */
export function credentialsResolver(source: CredentialsSource | undefined): CredentialsResolver {
  if (typeof source === 'function') {
    return { keyCount: 1, resolve: async () => validateCredentials(await source(), 'credentials()') }
  }
  if (Array.isArray(source)) {
    if (source.length !== 2)
      throw new M3terAuthError('invalid_options', 'credentials: an array must be [primary, secondary]')
    const keys = source.map((key, i) => validateCredentials(key, `credentials[${i}]`))
    return { keyCount: 2, resolve: async (index) => keys[index] as Credentials }
  }
  if (source) {
    const key = validateCredentials(source, 'credentials')
    return { keyCount: 1, resolve: async () => key }
  }
  return { keyCount: 1, resolve: async () => fromEnvironment() }
}

function fromEnvironment(): Credentials {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {}
  const accessKeyId = env[ENV_ACCESS_KEY_ID]
  const apiSecret = env[ENV_API_SECRET]
  if (!accessKeyId || !apiSecret) {
    throw new M3terAuthError(
      'missing_credentials',
      `createTokenProvider: no credentials; set ${ENV_ACCESS_KEY_ID} and ${ENV_API_SECRET} or pass credentials`,
    )
  }
  return validateCredentials({ accessKeyId, apiSecret }, ENV_ACCESS_KEY_ID)
}
