import type { TokenStore } from '@m3ter-auth/core'

/**
 * Tracks the real I/O a fleet member has in flight (store calls, token requests) so that a test moves the
 * manual clock only when every member is idle, waiting on the clock. Otherwise the clock would outrun real
 * I/O: a Redis reply taking 2 ms of real time could take "500 ms" of test time and look like a timeout.
 */
export interface Quiet {
  /** The store, with every call (and every lease's release) tracked. */
  store(store: TokenStore): TokenStore
  /** The fetch, tracked: give it to the provider for its token requests. */
  fetch(fetch: typeof globalThis.fetch): typeof globalThis.fetch
  /** Resolves once nothing tracked is in flight, and nothing new started in the turn after. */
  idle(): Promise<void>
  /** Calls made to the store so far, by method. */
  readonly calls: Record<string, number>
  /**
   * Resolves once `count` calls of `method` have been made. Core derives the store key (Web Crypto, real
   * time) before its first store call of an attempt, already on the attempt's clock: a test that moves the
   * clock before every member has reached the store would spend their budgets during the derivation.
   */
  reached(method: string, count: number): Promise<void>
}

/** The same answer with its body already read, so that nothing of it is left in flight. */
async function buffered(response: Response): Promise<Response> {
  const body = NULL_BODY.has(response.status) ? null : await response.arrayBuffer()
  const { status, statusText, headers } = response
  return new Response(body, { status, statusText, headers })
}
// Statuses a Response may not be built with a body for.
const NULL_BODY = new Set([101, 103, 204, 205, 304])

const turn = () => new Promise((resolve) => setImmediate(resolve))

export function createQuiet(): Quiet {
  let pending = 0
  const waiters: Array<() => void> = []
  const calls: Record<string, number> = {}
  const track = <T>(name: string, work: () => Promise<T>): Promise<T> => {
    calls[name] = (calls[name] ?? 0) + 1
    pending++
    const settled = () => {
      pending--
      if (pending === 0) for (const wake of waiters.splice(0)) wake()
    }
    let promise: Promise<T>
    try {
      promise = work()
    } catch (error) {
      promise = Promise.reject(error)
    }
    promise.then(settled, settled)
    return promise
  }
  return {
    calls,
    store: (store) => ({
      ...(store.timeoutMs === undefined ? {} : { timeoutMs: store.timeoutMs }),
      get: (key) => track('get', () => store.get(key)),
      set: (key, token) => track('set', () => store.set(key, token)),
      delete: (key, token) => track('delete', () => store.delete(key, token)),
      lease: (key, ttl) =>
        track('lease', async () => {
          const lease = await store.lease!(key, ttl)
          return lease && { release: () => track('release', () => lease.release()) }
        }),
    }),
    // The body is read inside the tracked call: tracked up to its headers only, a token answer's body could
    // still be on its way when `idle()` said all was quiet, and the store write after it land a step late.
    fetch: (fetch) => (input, init) => track('fetch', async () => buffered(await fetch(input, init))),
    async reached(method, count) {
      for (let turns = 0; (calls[method] ?? 0) < count; turns++) {
        if (turns > 1_000_000) throw new Error(`${count} ${method} calls never came`)
        await turn()
      }
    },
    async idle() {
      for (;;) {
        while (pending > 0) await new Promise<void>((resolve) => waiters.push(resolve))
        await turn()
        if (pending === 0) return
      }
    },
  }
}
