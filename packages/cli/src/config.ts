import type { Credentials } from '@m3ter-auth/core'
import { DEFAULT_TOKEN_URL, ENV_ACCESS_KEY_ID, ENV_API_SECRET } from '@m3ter-auth/core/internals'
import { CliError, ExitCode } from './exit-codes.ts'

/**
 * Where the token comes from: the Service User's key and the token endpoint.
 *
 * @example
 * ```ts
 * const config: TokenConfig = {
 *   credentials: { accessKeyId: vault.m3terKeyId, apiSecret: vault.m3terSecret },
 *   tokenUrl: 'https://api.m3ter.com/oauth/token',
 * }
 * const { accessToken } = await obtainToken(config, {}) // no cacheDir: no file cache
 * ```
 */
export interface TokenConfig {
  readonly credentials: Credentials
  readonly tokenUrl: string
}

/**
 * Reads the credentials from the environment variables m3ter's own SDKs use, and the token URL from
 * `--token-url`, else `M3TER_BASE_URL` + `/oauth/token`, else m3ter's.
 *
 * @example
 * ```ts
 * // M3TER_API_KEY and M3TER_API_SECRET, and M3TER_BASE_URL when it points at a mock or another region
 * const { credentials, tokenUrl } = tokenConfig(process.env, undefined)
 * ```
 */
export function tokenConfig(
  env: Readonly<Record<string, string | undefined>>,
  tokenUrlFlag: string | undefined,
): TokenConfig {
  const accessKeyId = env[ENV_ACCESS_KEY_ID]
  const apiSecret = env[ENV_API_SECRET]
  const missing = [...(accessKeyId ? [] : [ENV_ACCESS_KEY_ID]), ...(apiSecret ? [] : [ENV_API_SECRET])]
  if (!accessKeyId || !apiSecret) {
    throw new CliError(
      ExitCode.Credentials,
      `set ${missing.join(' and ')} (the Service User's access key id and API secret)`,
    )
  }
  const base = env.M3TER_BASE_URL?.replace(/\/+$/, '')
  const tokenUrl = tokenUrlFlag ?? (base ? `${base}/oauth/token` : DEFAULT_TOKEN_URL)
  // The value is not echoed: a secret pasted into it by mistake would be printed back.
  if (!URL.canParse(tokenUrl))
    throw new CliError(ExitCode.Usage, `${tokenUrlFlag ? '--token-url' : 'M3TER_BASE_URL'} is not a URL`)
  // As in core: a path in the base URL (`…/organizations/<id>`) would move the token endpoint and come back
  // as a rejected key.
  const basePath = !tokenUrlFlag && base ? new URL(base).pathname.replace(/\/+$/, '') : ''
  if (basePath)
    throw new CliError(
      ExitCode.Usage,
      `M3TER_BASE_URL must be an origin such as https://api.m3ter.com, not ${new URL(base as string).origin}${basePath}: remove the path (the organization id goes in M3TER_ORG_ID)`,
    )
  return { credentials: { accessKeyId, apiSecret }, tokenUrl }
}
