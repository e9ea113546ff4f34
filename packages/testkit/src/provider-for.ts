import { createTokenProvider, type TokenProvider, type TokenProviderOptions } from '@m3ter-auth/core'
import type { MockM3ter } from './mock-m3ter.ts'

/**
 * A token provider wired to a mock m3ter: its first key, its token endpoint, and its api and ingest
 * origins as the scope. Pass the mock's clock so both move together; any other option overrides these.
 *
 * @example
 * ```ts
 * const clock = createManualClock()
 * const m3ter = await startMockM3ter({ clock })
 * const auth = createProviderFor(m3ter, { clock })
 * ```
 */
export function createProviderFor(m3ter: MockM3ter, options: TokenProviderOptions = {}): TokenProvider {
  const [key] = m3ter.keys
  return createTokenProvider({
    ...(key ? { credentials: { accessKeyId: key.accessKeyId, apiSecret: key.apiSecret } } : {}),
    tokenUrl: m3ter.tokenUrl,
    scope: [m3ter.apiUrl, m3ter.ingestUrl],
    ...options,
  })
}
