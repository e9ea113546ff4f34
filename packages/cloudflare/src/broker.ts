import {
  type Clock,
  createTokenProvider,
  isM3terAuthError,
  M3terAuthError,
  type StoredToken,
  systemClock,
  type TokenProvider,
  type TokenStore,
} from '@m3ter-auth/core'
import { DEFAULT_TOKEN_URL } from '@m3ter-auth/core/internals'
import { type BrokerStorage, createBrokerStorage } from './broker-storage.ts'
import { FORMAT_VERSION, type InvalidateQuery, type TokenQuery, type TokenReply, toWire } from './protocol.ts'
import { staticKeys } from './store-key.ts'
import { createTokenCipher } from './token-cipher.ts'
import type { DurableObjectStateLike, TokenBrokerEnv, TokenBrokerEvent, TokenBrokerOptions } from './types.ts'

/** How long isolates may keep using a token the broker could not refresh in time before they ask again. */
const STALE_GRACE_MS = 30_000
/** Upper bound of a caller's wait, whatever it asks for. */
const MAX_WAIT_MS = 60_000
const DEFAULT_REFRESH_WAIT_MS = 5_000

interface Setup {
  readonly provider: TokenProvider
  readonly storage: BrokerStorage
  /** The store keys this broker serves; undefined until known for a credentials function. */
  keys(): Promise<readonly string[] | undefined>
}

/**
 * A Durable Object that holds the m3ter token of one Service User for every isolate of a Worker (and of
 * other Workers bound to the same namespace). Inside, core's token provider fetches with single flight,
 * refreshes ahead of expiry and backs off; the token is kept in memory and in the object's storage, so an
 * evicted or restarted broker takes it up again without a token request. Isolates reach it through
 * {@link createDurableObjectStore}.
 *
 * The credentials come from the Worker's secrets (`M3TER_API_KEY`, `M3TER_API_SECRET`), or from options a
 * subclass passes; they are never written to storage or logged. With `M3TER_TOKEN_ENCRYPTION_KEY` (or
 * `encryptionKey`) set, the token is kept encrypted at rest.
 *
 * @example
 * ```ts
 * // worker.ts: export the class; wrangler.toml binds it as M3TER_TOKENS (see the package README)
 * export { M3terTokenBroker } from '@m3ter-auth/cloudflare'
 * ```
 */
export class M3terTokenBroker {
  readonly #state: DurableObjectStateLike
  readonly #env: TokenBrokerEnv
  readonly #options: TokenBrokerOptions
  readonly #clock: Clock
  #setup: Setup | undefined
  #learnedKey: string | undefined
  #refreshing: Promise<void> | undefined

  constructor(state: DurableObjectStateLike, env: TokenBrokerEnv = {}, options: TokenBrokerOptions = {}) {
    this.#state = state
    this.#env = env ?? {}
    this.#options = options
    this.#clock = options.clock ?? systemClock
  }

  /** The isolates' store talks to the broker through this; see protocol.ts. */
  async fetch(request: Request): Promise<Response> {
    if (request.method !== 'POST') return refusal(405, 'method_not_allowed')
    const path = new URL(request.url).pathname
    let body: Record<string, unknown>
    try {
      body = (await request.json()) as Record<string, unknown>
    } catch {
      return refusal(400, 'bad_request')
    }
    if (typeof body?.key !== 'string') return refusal(400, 'bad_request')
    let setup: Setup
    try {
      setup = this.#ready()
    } catch (error) {
      // A misconfigured broker says what is wrong by code; the isolates fetch for themselves meanwhile.
      return refusal(500, isM3terAuthError(error) ? error.code : 'broker_failed')
    }
    if (path === '/token')
      return this.#token(setup, { key: body.key, waitMs: Number(body.waitMs) || 0 } as TokenQuery)
    if (path === '/invalidate' && typeof body.accessToken === 'string')
      return this.#invalidate(setup, body as unknown as InvalidateQuery)
    return refusal(404, 'not_found')
  }

  #ready(): Setup {
    if (this.#setup) return this.#setup
    const env = this.#env
    const options = this.#options
    const credentials =
      options.credentials ??
      (env.M3TER_API_KEY && env.M3TER_API_SECRET
        ? { accessKeyId: env.M3TER_API_KEY, apiSecret: env.M3TER_API_SECRET }
        : undefined)
    if (!credentials)
      throw new M3terAuthError(
        'missing_credentials',
        'M3terTokenBroker: no credentials (set the secrets M3TER_API_KEY and M3TER_API_SECRET, or pass options.credentials)',
      )
    const encryptionKey = 'encryptionKey' in options ? options.encryptionKey : env.M3TER_TOKEN_ENCRYPTION_KEY
    const cipher = encryptionKey === undefined ? undefined : createTokenCipher(encryptionKey)
    const storage = createBrokerStorage(this.#state.storage, cipher, (reason) =>
      this.#observe({ type: 'value_ignored', reason, at: this.#clock.now() }),
    )
    const { encryptionKey: _, refreshWaitMs: __, onEvent: ___, ...providerOptions } = options
    const tokenUrl = options.tokenUrl ?? env.M3TER_TOKEN_URL ?? DEFAULT_TOKEN_URL
    const provider = createTokenProvider({
      ...providerOptions,
      credentials,
      tokenUrl,
      clock: this.#clock,
      store: this.#learning(storage),
      onEvent: (event) => this.#observe(event),
    })
    // Bound to the secret: only a Worker that holds it can name a key this broker serves.
    const known = staticKeys(tokenUrl, credentials)
    known.catch(() => {})
    const setup: Setup = {
      provider,
      storage,
      keys: async () => (await known) ?? (this.#learnedKey === undefined ? undefined : [this.#learnedKey]),
    }
    this.#setup = setup
    return setup
  }

  /** The storage, noting the key the provider files under (the only way to know it for a credentials function). */
  #learning(storage: BrokerStorage): TokenStore {
    return {
      get: (key) => {
        this.#learnedKey = key
        return storage.get(key)
      },
      set: (key, token) => storage.set(key, token),
      delete: (key, accessToken) => storage.delete(key, accessToken),
    }
  }

  #observe(event: TokenBrokerEvent): void {
    try {
      this.#options.onEvent?.(event)
    } catch {
      // An observer's bug must not break the broker.
    }
  }

  /** Notes the token request a call starts, so that other calls can wait for it. */
  #track = (work: Promise<unknown>): void => {
    const done = work.then(
      () => {},
      () => {},
    )
    this.#refreshing = done
    done.then(() => {
      if (this.#refreshing === done) this.#refreshing = undefined
    })
  }

  async #token(setup: Setup, query: TokenQuery): Promise<Response> {
    const owns = async () => {
      const keys = await setup.keys()
      return keys === undefined || keys.includes(query.key)
    }
    if (!(await owns())) return refusal(409, 'unknown_key')
    const clock = this.#clock
    const deadline = clock.now() + Math.min(Math.max(query.waitMs, 0), MAX_WAIT_MS)
    const refreshWaitMs = this.#options.refreshWaitMs ?? DEFAULT_REFRESH_WAIT_MS
    for (;;) {
      let accessToken: string
      try {
        accessToken = await withDeadline(clock, deadline, (signal) =>
          setup.provider.getToken({ signal, waitUntil: this.#track }),
        )
      } catch (error) {
        return refusal(503, isM3terAuthError(error) ? error.code : 'broker_failed')
      }
      // A credentials function's key is known only now that the provider has used it.
      if (!(await owns())) return refusal(409, 'unknown_key')
      const token = setup.storage.current()
      const now = clock.now()
      if (token?.accessToken === accessToken && now < token.refreshAt) {
        // Written before the answer leaves, so an eviction right after it costs no token request.
        await setup.storage.flushed()
        return tokenReply(token, now)
      }
      // Past the refresh point the provider served the current token and refreshes in the background:
      // wait for that refresh, which every isolate asking now shares. (Awaiting the token request itself,
      // not a promise it settles, is what workerd lets one request wait on another for.)
      const refreshing = this.#refreshing
      const left = Math.min(deadline, now + refreshWaitMs) - now
      if (refreshing && left > 0 && (await settlesWithin(clock, refreshing, left))) continue
      if (token?.accessToken === accessToken && now < token.expiresAt) {
        // Not refreshed in time (the endpoint is slow or failing): the token is still good, so the isolates
        // keep it a little longer instead of each asking m3ter themselves.
        return tokenReply({ ...token, refreshAt: Math.min(token.expiresAt, now + STALE_GRACE_MS) }, now)
      }
      return refusal(503, 'refreshing')
    }
  }

  async #invalidate(setup: Setup, query: InvalidateQuery): Promise<Response> {
    const keys = await setup.keys()
    if (keys !== undefined && !keys.includes(query.key)) return refusal(409, 'unknown_key')
    // Compare-and-delete: the many isolates that saw one token rejected cause one refresh, not many.
    const invalidated = setup.provider.invalidate(query.accessToken)
    await setup.storage.flushed()
    return Response.json({ invalidated })
  }
}

/** True when `work` settles within `ms` on the clock. */
async function settlesWithin(clock: Clock, work: Promise<void>, ms: number): Promise<boolean> {
  let timer: unknown
  const timedOut = new Promise<boolean>((resolve) => {
    timer = clock.setTimeout(() => resolve(false), ms)
  })
  try {
    return await Promise.race([work.then(() => true), timedOut])
  } finally {
    clock.clearTimeout(timer)
  }
}

/** Runs `work` with a signal that aborts at `deadline` on the given clock. */
async function withDeadline<T>(
  clock: Clock,
  deadline: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController()
  const timer = clock.setTimeout(() => controller.abort(), Math.max(0, deadline - clock.now()))
  try {
    return await work(controller.signal)
  } finally {
    clock.clearTimeout(timer)
  }
}

function tokenReply(token: StoredToken, now: number): Response {
  const body: TokenReply = { v: FORMAT_VERSION, token: toWire(token, now) }
  return Response.json(body, { headers: { 'cache-control': 'no-store' } })
}

function refusal(status: number, code: string): Response {
  return Response.json({ code }, { status })
}
