import { M3terAuthError } from './errors.ts'
import type { Credentials, CredentialsSource } from './types.ts'

/** The environment variables m3ter's official SDKs read; the same names here. */
export const ENV_ACCESS_KEY_ID = 'M3TER_API_KEY'
export const ENV_API_SECRET = 'M3TER_API_SECRET'

/**
 * Checks one key the way m3ter would read it: both parts non-empty and not blank, and no `:` in the
 * key id (Basic auth splits on the first colon). Messages never show the secret.
 *
 * @example
 * ```ts
 * validateCredentials({ accessKeyId: 'k', apiSecret: 's' }, 'credentials')
 * ```
 */
export function validateCredentials(value: unknown, where: string): Credentials {
  if (typeof value !== 'object' || value === null) {
    throw new M3terAuthError('invalid_options', `${where} must be { accessKeyId, apiSecret }`)
  }
  const { accessKeyId, apiSecret } = value as Record<string, unknown>
  if (typeof accessKeyId !== 'string' || accessKeyId.trim() === '') {
    throw new M3terAuthError('invalid_options', `${where}.accessKeyId must be a non-empty string`)
  }
  if (accessKeyId.includes(':')) {
    throw new M3terAuthError('invalid_options', `${where}.accessKeyId must not contain ':' (Basic auth splits on it)`)
  }
  if (typeof apiSecret !== 'string' || apiSecret.trim() === '') {
    throw new M3terAuthError('invalid_options', `${where}.apiSecret must be a non-empty string`)
  }
  return { accessKeyId, apiSecret }
}

/** Credentials in a form the provider can ask for by key index, whatever the user gave. */
export interface CredentialsResolver {
  readonly keyCount: number
  resolve(keyIndex: number): Promise<Credentials>
}

/**
 * Normalises a {@link CredentialsSource}: keys given as values are checked now, so a typo fails at
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
  if (source === undefined) return { keyCount: 1, resolve: async () => fromEnvironment() }
  if (typeof source === 'function') {
    return {
      keyCount: 1,
      resolve: async () => {
        let value: unknown
        try {
          value = await source()
        } catch (cause) {
          throw new M3terAuthError('missing_credentials', 'credentials(): the credentials function failed', { cause })
        }
        return validateCredentials(value, 'credentials()')
      },
    }
  }
  if (Array.isArray(source)) {
    if (source.length !== 2) {
      throw new M3terAuthError('invalid_options', 'createTokenProvider: credentials as an array must be [primary, secondary]')
    }
    const keys = [validateCredentials(source[0], 'credentials[0]'), validateCredentials(source[1], 'credentials[1]')]
    return { keyCount: 2, resolve: async (index) => keys[index] ?? (keys[0] as Credentials) }
  }
  const key = validateCredentials(source, 'credentials')
  return { keyCount: 1, resolve: async () => key }
}

function fromEnvironment(): Credentials {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
  const accessKeyId = env?.[ENV_ACCESS_KEY_ID]
  const apiSecret = env?.[ENV_API_SECRET]
  if (!accessKeyId || !apiSecret) {
    const missing = [!accessKeyId && ENV_ACCESS_KEY_ID, !apiSecret && ENV_API_SECRET].filter(Boolean).join(' and ')
    throw new M3terAuthError(
      'missing_credentials',
      `createTokenProvider: no credentials given and ${missing} ${missing.includes(' and ') ? 'are' : 'is'} not set; set ${ENV_ACCESS_KEY_ID} and ${ENV_API_SECRET} or pass credentials`,
    )
  }
  return validateCredentials({ accessKeyId, apiSecret }, `${ENV_ACCESS_KEY_ID}/${ENV_API_SECRET}`)
}
