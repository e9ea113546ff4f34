import { withinBudget } from './budget.ts'
import { credentialsResolver } from './credentials.ts'
import { M3terAuthError } from './errors.ts'
import {
  createStep,
  type Effect,
  initialState,
  type MachineEvent,
  type MachineState,
  statusOf,
} from './machine.ts'
import { resolveOptions } from './options.ts'
import { tokenTimes } from './refresh-policy.ts'
import { registerRequestPolicy } from './request-policy.ts'
import { scrubbed } from './scrub.ts'
import { createStoreSync } from './store-sync.ts'
import { requestToken, type TokenFailure } from './token-endpoint.ts'
import type {
  GetTokenOptions,
  M3terAuthEvent,
  TokenLease,
  TokenProvider,
  TokenProviderOptions,
} from './types.ts'

type Waiter = (token: string | undefined, error?: M3terAuthError) => void

/**
 * Creates the token provider for one m3ter Service User. It fetches a token on first use, shares one
 * request among all concurrent callers, refreshes ahead of expiry in the background, backs off when the
 * token endpoint fails, and never hands out an expired token. This is the only place in core with
 * promises, timers and I/O; every decision is made by the pure state machine in machine.ts.
 *
 * @example
 * ```ts
 * import { createTokenProvider } from '@m3ter-auth/core'
 * const auth = createTokenProvider({ credentials: { accessKeyId: 'key', apiSecret: 'secret' } })
 * const res = await fetch('https://api.m3ter.com/organizations/ORG/meters', {
 *   headers: { Authorization: `Bearer ${await auth.getToken()}` },
 * })
 * await auth.close()
 * ```
 */
export function createTokenProvider(options: TokenProviderOptions = {}): TokenProvider {
  const config = resolveOptions(options)
  const { clock, store } = config
  // Local deadlines run on monotonic time; token expiry stays on wall time (see machine.ts).
  const mono = clock.monotonic ? clock.monotonic.bind(clock) : () => clock.now()
  let resolver = credentialsResolver(options.credentials)
  // Twice the per-attempt timeout: past that, a request still "in flight" lost its timer too (see machine.ts).
  const step = createStep(config.retry, config.timeoutMs * 2)
  let state: MachineState = initialState(resolver.keyCount)
  let waiters = new Set<Waiter>()
  let timer: unknown
  let inFlight: AbortController | undefined
  let storeKey = ''
  let fetching: Promise<void> = Promise.resolve()
  let lastInvalidated: string | undefined
  let servedAtOnce = 0
  type Listener = (event: M3terAuthEvent) => void
  // Objects, not the functions themselves, so that one function subscribed twice is called twice.
  const listeners = new Set<{ listener: Listener }>()
  for (const listener of [config.onEvent, config.log]) if (listener) listeners.add({ listener })
  const sync =
    store &&
    createStoreSync({
      store,
      clock,
      timeoutMs: config.timeoutMs,
      emit: (event) => perform({ type: 'emit', event }),
    })

  function dispatch(event: MachineEvent) {
    const transition = step(state, event, clock.now(), mono())
    state = transition.state
    for (const effect of transition.effects) perform(effect)
    return transition.reply
  }

  function perform(effect: Effect): void {
    switch (effect.type) {
      case 'fetch':
        fetching = fetchToken(effect.fetchId, effect.keyIndex)
        break
      case 'abort':
        try {
          inFlight?.abort()
        } catch {
          // workerd refuses I/O for a request that has already answered; the request is abandoned anyway.
        }
        break
      case 'timer': {
        clock.clearTimeout(timer)
        const { at, timerId } = effect
        if (at !== undefined)
          timer = clock.setTimeout(() => dispatch({ type: 'timer', timerId }), at - mono())
        if (waiters.size) keepAlive(timer)
        break
      }
      case 'settle': {
        const settled = waiters
        waiters = new Set()
        for (const waiter of settled) waiter(effect.accessToken, effect.error)
        break
      }
      case 'store':
        if (sync && storeKey) {
          if (effect.remove) sync.remove(storeKey, effect.token.accessToken)
          else sync.write(storeKey, effect.token)
        }
        break
      case 'emit': {
        if (!listeners.size) break
        const event = { ...effect.event, at: clock.now() } as M3terAuthEvent
        for (const { listener } of listeners)
          try {
            listener(event)
          } catch {
            // An observer's bug must not break authentication.
          }
      }
    }
  }

  async function fetchToken(fetchId: number, keyIndex: number): Promise<void> {
    const controller = new AbortController()
    inFlight = controller
    // startedAt times the attempt (monotonic); obtainedAt is when the token's lifetime starts (wall).
    const startedAt = mono()
    const obtainedAt = clock.now()
    let lease: TokenLease | undefined
    try {
      const credentials = await withinBudget(
        resolver.resolve(keyIndex),
        'credentials()',
        config.timeoutMs,
        clock,
        controller.signal,
      )
      if (sync) {
        storeKey = `m3ter-auth:v1:${config.tokenUrl}:${credentials.accessKeyId}`
        // Another member of the fleet may have the token already, or be fetching it: wait for it then.
        const found = await sync.acquire(storeKey, {
          signal: controller.signal,
          rejected: lastInvalidated,
          startedAt,
        })
        if ('lease' in found) lease = found.lease
        if (controller.signal.aborted) return
        if ('token' in found)
          return void dispatch({ type: 'fetched', fetchId, token: found.token, persist: false, startedAt })
      }
      const attempt = await requestToken({ ...config, credentials, signal: controller.signal })
      if (attempt.ok) {
        const { accessToken, expiresInSeconds } = attempt.answer
        const times = tokenTimes(obtainedAt, expiresInSeconds, config.random(), config.refresh)
        dispatch({
          type: 'fetched',
          fetchId,
          token: { accessToken, obtainedAt, ...times },
          persist: true,
          startedAt,
        })
      } else {
        dispatch({ type: 'failed', fetchId, failure: attempt.failure, random: config.random() })
      }
    } catch (cause) {
      // Only reading the credentials can throw here: a typed failure, retried only when it took too long.
      const error =
        cause instanceof M3terAuthError
          ? cause
          : new M3terAuthError('missing_credentials', 'credentials(): failed', { cause: scrubbed(cause) })
      dispatch({
        type: 'failed',
        fetchId,
        // Not a rejected key, no Retry-After.
        failure: { error, retryable: error.code === 'timeout' } as TokenFailure,
        random: config.random(),
      })
    } finally {
      if (inFlight === controller) inFlight = undefined
      // Only after the token write: released earlier, another member would fetch a second token.
      await sync?.release(lease)
    }
  }

  function getToken(getOptions?: GetTokenOptions): Promise<string> {
    const signal = getOptions?.signal
    const aborted = () =>
      new M3terAuthError('aborted', 'getToken: the caller aborted the wait', { cause: signal?.reason })
    // Hot path: a fresh token needs no transition and no allocation beyond the resolved promise, and one
    // clock read: before its refresh point by the monotonic time since it arrived. Every other demand goes
    // through the machine, which also asks the wall clock (tokenTime).
    const token = state.token
    if (token && !state.closed && mono() - token.offset < token.refreshAt && !signal?.aborted) {
      servedAtOnce++
      return Promise.resolve(token.accessToken)
    }
    if (signal?.aborted) return Promise.reject(aborted())
    const started = state.fetchId
    const reply = dispatch({ type: 'demand' }) as { token?: string; error?: M3terAuthError }
    if (state.fetchId !== started) getOptions?.waitUntil?.(fetching)
    if (reply.token) {
      servedAtOnce++
      return Promise.resolve(reply.token)
    }
    if (reply.error) return Promise.reject(reply.error)
    const since = mono()
    const waited = (outcome: 'token' | M3terAuthError['code']) =>
      perform({ type: 'emit', event: { type: 'token_waited', waitedMs: mono() - since, outcome } })
    const waiting = new Promise<string>((resolve, reject) => {
      const onAbort = () => {
        waiters.delete(waiter)
        if (!waiters.size) (timer as { unref?: () => void } | undefined)?.unref?.()
        waited('aborted')
        reject(aborted())
      }
      const waiter: Waiter = (value, error) => {
        signal?.removeEventListener('abort', onAbort)
        waited(value ? 'token' : (error?.code ?? 'aborted'))
        value ? resolve(value) : reject(error)
      }
      signal?.addEventListener('abort', onAbort)
      waiters.add(waiter)
      keepAlive(timer)
    })
    return tiedToFetch(waiting)
  }

  // workerd (Cloudflare Workers) cancels a request as hung when all it awaits is a promise that another
  // request settles, as a waiter does when another request started the token request. Awaiting that token
  // request as well ties the wait to its I/O. (Between the rounds of a backoff only the waiter remains.)
  async function tiedToFetch(waiting: Promise<string>): Promise<string> {
    const settled = waiting.then(
      () => true,
      () => true,
    )
    for (let round: Promise<void> | undefined; round !== fetching; ) {
      round = fetching
      const first = await Promise.race([settled, round.then(() => false)])
      if (first) break
    }
    return waiting
  }

  const provider: TokenProvider & { toJSON(): unknown } = {
    getToken,
    authorize: async (url, authorizeOptions) =>
      config.inScope(url) ? `Bearer ${await getToken(authorizeOptions)}` : undefined,
    inScope: config.inScope,
    invalidate(token) {
      const invalidated = dispatch({ type: 'invalidate', accessToken: token }) === true
      if (invalidated) lastInvalidated = token
      else perform({ type: 'emit', event: { type: 'invalidate_ignored', generation: state.generation } })
      return invalidated
    },
    setCredentials(next) {
      resolver = credentialsResolver(next)
      dispatch({ type: 'credentials_changed', keyCount: resolver.keyCount })
    },
    snapshot: () => ({
      status: statusOf(state, clock.now(), mono()),
      expiresAt: state.token?.expiresAt,
      generation: state.generation,
      servedAtOnce,
    }),
    subscribe(listener) {
      const entry = { listener }
      listeners.add(entry)
      return () => void listeners.delete(entry)
    },
    close: async () => void dispatch({ type: 'close' }),
    [Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')]: () => provider.close(),
    // Nothing secret lives on this object; say so plainly to anyone who logs it.
    toJSON: () => ({ M3terTokenProvider: provider.snapshot() }),
  }
  registerRequestPolicy(provider, { tokenUrl: config.tokenUrl, now: () => clock.now() })
  return provider
}

// The default clock's timers are unref'd so that background work never keeps a Node process alive. A
// backoff that a caller is waiting on is different: exiting would leave that caller's await unsettled.
// (Duck-typed: Node's timer handles have ref(); other runtimes' handles and custom clocks are left alone.)
function keepAlive(timer: unknown): void {
  if (typeof timer === 'object' && timer !== null) (timer as { ref?: () => void }).ref?.()
}
