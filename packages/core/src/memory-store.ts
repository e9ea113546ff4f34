import type { StoredToken, TokenStore } from './types.ts'

/**
 * A {@link TokenStore} in this process's memory: share one between providers, or use it as the model
 * for a shared store (Redis) that implements the same four methods.
 *
 * @example
 * ```ts
 * const store = createMemoryStore()
 * const a = createTokenProvider({ credentials, store })
 * const b = createTokenProvider({ credentials, store }) // reuses a's token
 * ```
 */
export function createMemoryStore(): TokenStore {
  const tokens = new Map<string, StoredToken>()
  const leases = new Set<string>()
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
      leases.add(key)
      return { release: async () => void leases.delete(key) }
    },
  }
}
