import { type CredentialsResolver, credentialsResolver } from './credentials.ts'
import type { M3terAuthError } from './errors.ts'
import type { M3terAuthEvent } from './events.ts'
import { createStep, type Emitted, initialState, type MachineState, type Step } from './machine.ts'
import type { TokenProviderOptions } from './options.ts'
import { type ResolvedOptions, resolveOptions } from './options.ts'
import { createStoreSync, type StoreSync } from './store-sync.ts'

/**
 * A caller waiting for the next settle: called once, with a token or the error.
 *
 * @example
 * ```ts
 * const waiter: Waiter = (token, error) => (token ? resolve(token) : reject(error))
 * shell.waiters.add(waiter)
 * ```
 */
export type Waiter = (token: string | undefined, error?: M3terAuthError) => void

/**
 * An observer of the provider's events (`onEvent`, the debug log, `subscribe`).
 *
 * @example
 * ```ts
 * const listener: Listener = (event) => console.log(event.type)
 * ```
 */
export type Listener = (event: M3terAuthEvent) => void

/**
 * The mutable side of one token provider: the machine's current state, and everything that performs
 * its effects (the request in flight, the backoff timer, the waiters, the listeners, the store). The
 * machine decides (machine.ts); the files around this one act on a shell: effect-interpreter.ts performs
 * effects, token-attempt.ts runs one token request, token-waiters.ts holds the callers that wait,
 * provider.ts is the public object.
 *
 * @example
 * ```ts
 * const shell = createShell({ credentials })
 * shell.state.phase.type // 'idle'
 * ```
 */
export interface Shell {
  readonly config: ResolvedOptions
  /** Monotonic time: local deadlines run on it; token expiry stays on wall time (see machine.ts). */
  readonly mono: () => number
  readonly step: Step
  state: MachineState
  /** Replaced by `setCredentials`; the next attempt reads it. */
  resolver: CredentialsResolver
  /** Callers waiting for the next settle; replaced by a new set at each settle. */
  waiters: Set<Waiter>
  /** The backoff timer's handle (the last one set). */
  timer?: unknown
  /** Aborts the attempt in flight; undefined between attempts. */
  inFlight?: AbortController | undefined
  /** The latest attempt, settled once it is done (its lease released): what waiters tie themselves to. */
  fetching: Promise<void>
  /** Where the fleet shares the token for the current key; empty before the first attempt. */
  storeKey: string
  /**
   * The last few tokens this provider saw rejected, the latest last: never taken from the store again. Not
   * only the latest: a store whose delete failed still holds an older one (found by the fleet simulation,
   * seed 107585: two revocations in a row, the first token's delete timed out, and the second invalidation
   * made the first adoptable again).
   */
  readonly seenRejected: string[]
  /** How the last attempt failed, until a token arrives: what a caller who waited too long is told. */
  lastFailure?: M3terAuthError | undefined
  /** `getToken` calls answered without waiting (`snapshot().servedAtOnce`). */
  servedAtOnce: number
  /** Wrapped in objects, so that one function subscribed twice is called twice. */
  readonly listeners: Set<{ readonly listener: Listener }>
  readonly sync: StoreSync | undefined
}

/**
 * Checks the options (throwing `invalid_options` or `insecure_url` on a mistake) and builds the shell of
 * a provider that has done nothing yet.
 *
 * @example
 * ```ts
 * const shell = createShell({ credentials: [primary, secondary], onEvent: console.log })
 * ```
 */
export function createShell(options: TokenProviderOptions): Shell {
  const config = resolveOptions(options)
  const { clock, store } = config
  const resolver = credentialsResolver(options.credentials)
  const listeners = new Set<{ listener: Listener }>()
  for (const listener of [config.onEvent, config.log]) if (listener) listeners.add({ listener })
  const shell: Shell = {
    config,
    mono: () => clock.monotonic?.() ?? clock.now(),
    // Twice the per-attempt timeout: past that, a request still "in flight" lost its timer too (see machine.ts).
    step: createStep(config.retry, config.timeoutMs * 2, config.refresh, config.maxWaitMs),
    state: initialState(resolver.keyCount),
    resolver,
    waiters: new Set(),
    fetching: Promise.resolve(),
    storeKey: '',
    servedAtOnce: 0,
    seenRejected: [],
    listeners,
    sync:
      store &&
      createStoreSync({ store, clock, timeoutMs: config.timeoutMs, emit: (event) => emit(shell, event) }),
  }
  return shell
}

/**
 * Stamps an event with the time and hands it to every listener. A listener that throws is skipped: an
 * observer's bug must not break authentication.
 *
 * @example
 * ```ts
 * emit(shell, { type: 'credentials_changed' })
 * ```
 */
export function emit(shell: Shell, event: Emitted): void {
  if (!shell.listeners.size) return
  const stamped = { ...event, at: shell.config.clock.now() } as M3terAuthEvent
  for (const { listener } of shell.listeners)
    try {
      listener(stamped)
    } catch {
      // Ignored: see above.
    }
}
