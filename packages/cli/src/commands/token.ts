import { createTokenProvider, isM3terAuthError, type M3terAuthErrorCode } from '@m3ter-auth/core'
import type { TokenConfig } from '../config.ts'
import { CliError, ExitCode, type ExitCodeValue } from '../exit-codes.ts'
import { createFileTokenStore } from '../file-store.ts'

/**
 * A token and when it stops being served.
 *
 * @example
 * ```ts
 * const { accessToken, expiresAt, cached } = await obtainToken(config, { cacheDir: defaultCacheDir() })
 * if (!cached) console.error(`new token, served until ${new Date(expiresAt).toISOString()}`)
 * ```
 */
export interface ObtainedToken {
  readonly accessToken: string
  /** Epoch ms: m3ter's expiry less the provider's safety margin. */
  readonly expiresAt: number
  /** True when it came from the cache, without a token request. */
  readonly cached: boolean
}

// Core unrefs its timers so that an idle provider never holds a process open. Here the process exists only to
// wait for the token: with unref'd timers, a backoff between two attempts would let Node exit mid-await.
const processClock = {
  now: () => Date.now(),
  setTimeout: (callback: () => void, ms: number): unknown => setTimeout(callback, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

const EXIT_FOR: Record<M3terAuthErrorCode, ExitCodeValue> = {
  missing_credentials: ExitCode.Credentials,
  invalid_credentials: ExitCode.Credentials,
  invalid_options: ExitCode.Usage,
  insecure_url: ExitCode.Usage,
  invalid_token_response: ExitCode.Network,
  token_endpoint_unavailable: ExitCode.Network,
  timeout: ExitCode.Network,
  aborted: ExitCode.Network,
  closed: ExitCode.Network,
}

/**
 * Gets a token through core's provider, reusing the cached one (`cacheDir`) until its refresh point. The
 * cache is core's `TokenStore` interface backed by files, so the reuse rule (fresh until `refreshAt`) is
 * core's own rather than a second copy of it here.
 *
 * @example
 * ```ts
 * import { defaultCacheDir, obtainToken, tokenConfig } from '@m3ter-auth/cli'
 *
 * const { accessToken } = await obtainToken(tokenConfig(process.env, undefined), { cacheDir: defaultCacheDir() })
 * const res = await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } })
 * ```
 */
export async function obtainToken(
  config: TokenConfig,
  options: { cacheDir?: string | undefined },
): Promise<ObtainedToken> {
  const store = options.cacheDir === undefined ? undefined : createFileTokenStore(options.cacheDir)
  let fetched = false
  let auth: ReturnType<typeof createTokenProvider>
  try {
    auth = createTokenProvider({
      credentials: config.credentials,
      tokenUrl: config.tokenUrl,
      clock: processClock,
      // A person or a script is waiting: a few quick attempts, then one clear line.
      retry: { maxAttempts: 3, maxElapsedMs: 10_000 },
      onEvent(event) {
        if (event.type === 'token_fetched') fetched = true
      },
      ...(store ? { store } : {}),
    })
  } catch (error) {
    throw asCliError(error)
  }
  try {
    const accessToken = await auth.getToken()
    await store?.flush()
    return { accessToken, expiresAt: auth.snapshot().expiresAt ?? Date.now(), cached: !fetched }
  } catch (error) {
    throw asCliError(error)
  } finally {
    await auth.close()
  }
}

function asCliError(error: unknown): CliError {
  if (error instanceof CliError) return error
  if (isM3terAuthError(error)) return new CliError(EXIT_FOR[error.code] ?? ExitCode.Network, withCause(error))
  return new CliError(ExitCode.Network, error instanceof Error ? error.message : String(error))
}

/**
 * Core's message plus the system error code beneath it (ENOTFOUND, ECONNREFUSED) when it adds something.
 * Only a code: a cause's message may describe the request (its URL, its headers) and is not printed.
 */
function withCause(error: Error): string {
  let below: string | undefined
  for (let cause = error.cause; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) below = code
  }
  return below === undefined || error.message.includes(below) ? error.message : `${error.message} [${below}]`
}
