import { type Clock, M3terAuthError, type StoredToken, systemClock, type TokenStore } from '@m3ter-auth/core'
import { DEFAULT_TIMEOUT_MS } from '@m3ter-auth/core/internals'
import { BROKER_ORIGIN, parseTokenReply } from './protocol.ts'
import { objectNameFor } from './store-key.ts'
import type {
  BrokerStoreEvent,
  DurableObjectNamespaceLike,
  DurableObjectStoreOptions,
  DurableObjectStubLike,
} from './types.ts'

/**
 * A core `TokenStore` whose token comes from the {@link M3terTokenBroker} bound as `namespace`: pass it to
 * `createTokenProvider({ store })` in every Worker of the fleet. Each isolate keeps the broker's token in
 * memory while it is fresh, so a provider created per request asks the broker once per token, not once per
 * request; a token rejected with 401/403 is invalidated at the broker with compare-and-delete, so however
 * many isolates saw it rejected, the broker refreshes once.
 *
 * When the broker cannot help (unreachable, too slow, not configured for this Service User, or its token
 * request failed), `get` finds nothing and the provider fetches its own token, as it would without a store.
 * The store has no `lease`: the broker itself is the one fetcher, so isolates never need to take turns.
 *
 * @example
 * ```ts
 * import { createTokenProvider } from '@m3ter-auth/core'
 * import { createDurableObjectStore } from '@m3ter-auth/cloudflare'
 * let auth
 * export default {
 *   async fetch(request, env, ctx) {
 *     auth ??= createTokenProvider({
 *       credentials: { accessKeyId: env.M3TER_API_KEY, apiSecret: env.M3TER_API_SECRET },
 *       store: createDurableObjectStore(env.M3TER_TOKENS),
 *     })
 *     // ... withM3terAuth(auth, fetch, { waitUntil: (work) => ctx.waitUntil(work) })
 *   },
 * }
 * ```
 */
export function createDurableObjectStore(
  namespace: DurableObjectNamespaceLike,
  options: DurableObjectStoreOptions = {},
): TokenStore {
  if (typeof namespace?.idFromName !== 'function' || typeof namespace?.get !== 'function')
    throw new M3terAuthError(
      'invalid_options',
      'createDurableObjectStore: namespace must be a Durable Object namespace binding (env.M3TER_TOKENS)',
    )
  const clock: Clock = options.clock ?? systemClock
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (!(timeoutMs >= 1))
    throw new M3terAuthError('invalid_options', 'createDurableObjectStore: timeoutMs must be >= 1')
  // The broker answers a little before the caller gives up, so a slow token request still arrives.
  const brokerWaitMs = Math.max(0, timeoutMs - Math.min(1_000, timeoutMs / 10))
  const copies = new Map<string, StoredToken>()
  const names = new Map<string, Promise<string>>()
  // Invalidations on their way to the broker: a read waits for them, lest it be answered the very token
  // this isolate just saw rejected.
  const invalidating = new Map<string, Promise<void>>()
  const reading = new Map<string, Promise<StoredToken | undefined>>()

  const emit = (event: BrokerStoreEvent) => {
    try {
      options.onEvent?.(event)
    } catch {
      // An observer's bug must not break authentication.
    }
  }

  // A stub belongs to the request that made it (workerd refuses I/O through it from another), so only the
  // object's name is kept, and each call makes its own stub.
  const stubFor = async (key: string): Promise<DurableObjectStubLike> => {
    let name = names.get(key)
    if (!name) {
      name = objectNameFor(key)
      names.set(key, name)
    }
    return namespace.get(namespace.idFromName(await name) as never)
  }

  /** One call to the broker, bounded by timeoutMs; undefined (and an event) when it does not answer. */
  async function call(key: string, op: 'get' | 'delete', path: string, body: object) {
    const controller = new AbortController()
    let timer: unknown
    const timedOut = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => {
        controller.abort()
        reject(new Error('timeout'))
      }, timeoutMs)
    })
    try {
      const stub = await stubFor(key)
      const request = stub.fetch(`${BROKER_ORIGIN}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: controller.signal,
      })
      request.catch(() => {})
      const res = await Promise.race([request, timedOut])
      const payload = await Promise.race([res.json().catch(() => undefined), timedOut])
      return { status: res.status, payload: payload as unknown }
    } catch {
      emit({
        type: 'broker_unavailable',
        op,
        reason: controller.signal.aborted ? 'timeout' : 'unreachable',
        at: clock.now(),
      })
      return undefined
    } finally {
      clock.clearTimeout(timer)
    }
  }

  const refused = (op: 'get' | 'delete', answer: { status: number; payload: unknown }) => {
    if (answer.status === 409)
      return emit({ type: 'broker_declined', reason: 'unknown_key', at: clock.now() })
    const code = (answer.payload as { code?: unknown } | undefined)?.code
    emit({
      type: 'broker_unavailable',
      op,
      reason: typeof code === 'string' ? code : `status_${answer.status}`,
      at: clock.now(),
    })
  }

  async function fromBroker(key: string): Promise<StoredToken | undefined> {
    await invalidating.get(key)
    // The broker sends durations: counted from when we asked, our times are never later than its.
    const askedAt = clock.now()
    const answer = await call(key, 'get', '/token', { key, waitMs: brokerWaitMs })
    if (!answer) return undefined
    const token = answer.status === 200 ? parseTokenReply(answer.payload, askedAt) : undefined
    if (!token) {
      refused('get', answer)
      return undefined
    }
    copies.set(key, token)
    return token
  }

  return {
    // The broker waits up to brokerWaitMs for its own token request: core must wait as long for each call,
    // or it cuts the call at its default and every isolate fetches a token of its own.
    timeoutMs,
    get(key) {
      const copy = copies.get(key)
      if (copy && clock.now() < copy.refreshAt) return Promise.resolve(copy)
      // Providers of one isolate that ask at once (one made per request, say) share one call to the broker.
      let read = reading.get(key)
      if (!read) {
        read = fromBroker(key).finally(() => reading.delete(key))
        reading.set(key, read)
      }
      return read
    },
    // The broker is the one writer of the fleet's token. A token this isolate fetched for itself (the
    // broker could not help) is shared with the isolate's other providers only.
    async set(key, token) {
      copies.set(key, token)
    },
    async delete(key, accessToken) {
      if (accessToken === undefined || copies.get(key)?.accessToken === accessToken) copies.delete(key)
      // Without a token to compare, only this isolate's copy goes: the fleet's token is not ours to drop.
      if (accessToken === undefined) return
      const sent = call(key, 'delete', '/invalidate', { key, accessToken }).then((answer) => {
        if (answer && answer.status !== 200) refused('delete', answer)
      })
      invalidating.set(key, sent)
      await sent
      if (invalidating.get(key) === sent) invalidating.delete(key)
    },
  }
}
