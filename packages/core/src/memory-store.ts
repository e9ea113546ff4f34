import type { StoredToken, TokenStore } from './token-store.ts'

/**
 * A {@link TokenStore} in this process's memory: share one between providers of the same Service User, or
 * read it as the model for a shared store (Redis) that implements the same four methods. Its lease has no
 * time-to-live: in one process a holder always releases (the provider does so in `finally`).
 *
 * @example
 * ```ts
 * import { createMemoryStore, createTokenProvider } from '@m3ter-auth/core'
 *
 * // Two modules that each create their own provider still fetch one token between them.
 * const store = createMemoryStore()
 * const billing = createTokenProvider({ credentials, store })
 * const ingest = createTokenProvider({ credentials, store, timeoutMs: 3_000 })
 * ```
 */
export function createMemoryStore(): TokenStore {
  const tokens = new Map<string, StoredToken>()
  const leases = new Map<string, object>()
  return {
    async get(key) {
      return tokens.get(key)
    },
    async set(key, token) {
      tokens.set(key, token)
    },
    async delete(key, accessToken) {
      if (accessToken === undefined || tokens.get(key)?.accessToken === accessToken) tokens.delete(key)
    },
    async lease(key) {
      if (leases.has(key)) return undefined
      const holder = {}
      leases.set(key, holder)
      // Compare-and-delete, as a shared store does: a second release, or a stranger's, changes nothing.
      return { release: async () => void (leases.get(key) === holder && leases.delete(key)) }
    },
  }
}
