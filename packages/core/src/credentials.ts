import { M3terAuthError } from './errors.ts'
import type { Credentials, CredentialsSource } from './types.ts'

/**
 * The environment variables m3ter's official SDKs read; the same names here.
 *
 * @example
 * ```ts
 * process.env[ENV_ACCESS_KEY_ID] // M3TER_API_KEY
 * ```
 */
export const ENV_ACCESS_KEY_ID = 'M3TER_API_KEY'
/**
 * @example
 * ```ts
 * process.env[ENV_API_SECRET] // M3TER_API_SECRET
 * ```
 */
export const ENV_API_SECRET = 'M3TER_API_SECRET'

/**
 * Checks one key the way m3ter would read it: both parts non-blank strings, and no `:` in the key id
 * (Basic auth splits on the first colon). Messages never show the secret.
 *
 * @example
 * ```ts
 * validateCredentials({ accessKeyId: 'k', apiSecret: 's' }, 'credentials')
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
  return { accessKeyId, apiSecret } as Credentials
}

/** Credentials in a form the provider can ask for by key index, whatever the user gave. */
export interface CredentialsResolver {
  readonly keyCount: number
  resolve(keyIndex: number): Promise<Credentials>
}

/**
 * Normalises a {@link CredentialsSource}. Keys given as values are checked now, so a typo fails at
 * construction; a function and the environment are read at each token request (the first use), never
 * at import.
 *
 * @example
 * ```ts
 * const resolver = credentialsResolver([primary, secondary])
 * await resolver.resolve(1) // secondary
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
