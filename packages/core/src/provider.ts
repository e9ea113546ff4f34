import { credentialsResolver } from './credentials.ts'
import { M3terAuthError } from './errors.ts'
import { createStep, type Effect, initialState, type MachineEvent, type MachineState, statusOf } from './machine.ts'
import { resolveOptions } from './options.ts'
import { requestToken, type TokenFailure } from './token-endpoint.ts'
import type { GetTokenOptions, M3terAuthEvent, TokenProvider, TokenProviderOptions, TokenSnapshot } from './types.ts'

interface Waiter {
  resolve(token: string): void
  reject(error: M3terAuthError): void
}

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')
const asyncDispose: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')

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
  const { clock } = config
  let resolver = credentialsResolver(options.credentials)
  const step = createStep({ refresh: config.refresh, retry: config.retry })
  let state: MachineState = initialState(resolver.keyCount)
  let waiters: Waiter[] = []
  let timer: unknown
  let inFlight: AbortController | undefined
  let storeKey: string | undefined
  let lastInvalidated: string | undefined

  function dispatch(event: MachineEvent) {
    const transition = step(state, event, clock.now())
    state = transition.state
    for (const effect of transition.effects) perform(effect)
    return transition
  }

  function perform(effect: Effect): void {
    switch (effect.type) {
      case 'start_fetch':
        void fetchToken(effect.fetchId, effect.keyIndex)
        return
      case 'abort_fetch':
        inFlight?.abort()
        inFlight = undefined
        return
      case 'set_timer':
        if (timer !== undefined) clock.clearTimeout(timer)
        timer = clock.setTimeout(
          () => {
            timer = undefined
            dispatch({ type: 'timer', timerId: effect.timerId })
          },
          Math.max(0, effect.at - clock.now()),
        )
        return
      case 'clear_timer':
        if (timer !== undefined) clock.clearTimeout(timer)
        timer = undefined
        return
      case 'resolve_waiters': {
        const settled = waiters
        waiters = []
        for (const waiter of settled) waiter.resolve(effect.accessToken)
        return
      }
      case 'reject_waiters': {
        const settled = waiters
        waiters = []
        for (const waiter of settled) waiter.reject(effect.error)
        return
      }
      case 'persist':
        if (config.store && storeKey) config.store.set(storeKey, effect.token).catch(ignore)
        return
      case 'unpersist':
        if (config.store && storeKey) config.store.delete(storeKey, effect.accessToken).catch(ignore)
        return
      case 'emit':
        emit(effect.event)
        return
    }
  }

  function emit(event: M3terAuthEvent): void {
    if (!config.onEvent) return
    try {
      config.onEvent(event)
    } catch {
      // An observer's bug must not break authentication.
    }
  }

  async function fetchToken(fetchId: number, keyIndex: number): Promise<void> {
    const controller = new AbortController()
    inFlight = controller
    const startedAt = clock.now()
    const fail = (failure: TokenFailure) => dispatch({ type: 'fetch_failed', fetchId, failure, random: config.random() })
    try {
      let credentials: Awaited<ReturnType<typeof resolver.resolve>>
      try {
        credentials = await resolver.resolve(keyIndex)
      } catch (cause) {
        const error = cause instanceof M3terAuthError ? cause : new M3terAuthError('missing_credentials', 'credentials could not be read', { cause })
        return void fail({ error, retryable: false, credentialsRejected: false, retryAfterMs: undefined })
      }
      const store = config.store
      if (store) {
        storeKey = `m3ter-auth:v1:${config.tokenUrl}:${credentials.accessKeyId}`
        const shared = await store.get(storeKey).catch(ignore)
        const now = clock.now()
        if (shared && shared.accessToken !== lastInvalidated && now < shared.refreshAt) {
          return void dispatch({ type: 'store_hit', fetchId, token: shared })
        }
      }
      const attempt = await requestToken({
        fetch: config.fetch,
        tokenUrl: config.tokenUrl,
        credentials,
        encoding: config.bodyEncoding,
        timeoutMs: config.timeoutMs,
        clock,
        signal: controller.signal,
      })
      if (attempt.ok) {
        dispatch({
          type: 'fetch_succeeded',
          fetchId,
          startedAt,
          accessToken: attempt.answer.accessToken,
          expiresInSeconds: attempt.answer.expiresInSeconds,
          random: config.random(),
        })
      } else {
        fail(attempt.failure)
      }
    } finally {
      if (inFlight === controller) inFlight = undefined
    }
  }

  function getToken(getOptions?: GetTokenOptions): Promise<string> {
    // Hot path: a fresh token needs no transition, no allocation beyond the resolved promise.
    const token = state.token
    if (token !== undefined && !state.closed && clock.now() < token.refreshAt && !getOptions?.signal?.aborted) {
      return Promise.resolve(token.accessToken)
    }
    const signal = getOptions?.signal
    if (signal?.aborted) return Promise.reject(abortedError(signal))
    const { reply } = dispatch({ type: 'demand' })
    if (reply?.kind === 'token') return Promise.resolve(reply.accessToken)
    if (reply?.kind === 'error') return Promise.reject(reply.error)
    return new Promise<string>((resolve, reject) => {
      if (!signal) {
        waiters.push({ resolve, reject })
        return
      }
      const onAbort = () => {
        waiters = waiters.filter((w) => w !== waiter)
        reject(abortedError(signal))
      }
      const waiter: Waiter = {
        resolve: (value) => {
          signal.removeEventListener('abort', onAbort)
          resolve(value)
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort)
          reject(error)
        },
      }
      signal.addEventListener('abort', onAbort, { once: true })
      waiters.push(waiter)
    })
  }

  const provider: TokenProvider & { toJSON(): unknown; [inspectSymbol](): string } = {
    getToken,
    authorize(url, authorizeOptions) {
      if (!config.inScope(url)) return Promise.resolve(undefined)
      return getToken(authorizeOptions).then((token) => `Bearer ${token}`)
    },
    inScope: config.inScope,
    invalidate(token) {
      if (typeof token !== 'string') return false
      const invalidated = dispatch({ type: 'invalidate', accessToken: token }).invalidated === true
      if (invalidated) lastInvalidated = token
      return invalidated
    },
    setCredentials(next) {
      resolver = credentialsResolver(next)
      dispatch({ type: 'credentials_changed', keyCount: resolver.keyCount })
    },
    snapshot(): TokenSnapshot {
      return { status: statusOf(state, clock.now()), expiresAt: state.token?.expiresAt, generation: state.generation }
    },
    close() {
      dispatch({ type: 'close' })
      return Promise.resolve()
    },
    [asyncDispose]() {
      return provider.close()
    },
    // Nothing secret lives on this object, but say so plainly to anyone who logs it.
    toJSON() {
      return { type: 'M3terTokenProvider', ...provider.snapshot() }
    },
    [inspectSymbol]() {
      return `M3terTokenProvider ${JSON.stringify(provider.snapshot())}`
    },
  }
  return provider
}

function abortedError(signal: AbortSignal): M3terAuthError {
  return new M3terAuthError('aborted', 'getToken: the caller aborted the wait', { cause: signal.reason })
}

function ignore(): undefined {
  return undefined
}
