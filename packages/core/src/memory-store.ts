import type { StoredToken, TokenStore } from './token-store.ts'

const TOMBSTONES = 8

/**
 * A {@link TokenStore} in this process's memory: share one between providers of the same Service User, or
 * read it as the model for a shared store (Redis) that implements the same four methods, fenced writes and
 * tombstones included. Its lease has no time-to-live: in one process a holder always releases (the
 * provider does so in `finally`). Its members share one process and so one clock: it keeps times as given.
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
  // Tombstones of tokens deleted by compare-and-delete, the last few per key (no clock here to expire
  // them by; a revocation is rare): a late write of one of them is ignored, as the type's contract asks.
  const deleted = new Map<string, string[]>()
  return {
    async get(key) {
      return tokens.get(key)
    },
    async set(key, token) {
      const stored = tokens.get(key)
      // Fenced: an older token (a stalled holder's) never replaces one that lives longer.
      if (stored && stored.expiresAt > token.expiresAt) return
      if (deleted.get(key)?.includes(token.accessToken)) return
      tokens.set(key, token)
    },
    async delete(key, accessToken) {
      if (accessToken === undefined) return void tokens.delete(key)
      deleted.set(key, [accessToken, ...(deleted.get(key) ?? [])].slice(0, TOMBSTONES))
      if (tokens.get(key)?.accessToken === accessToken) tokens.delete(key)
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
