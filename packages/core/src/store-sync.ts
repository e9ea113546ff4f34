import type { Clock } from './clock.ts'
import type { M3terAuthEvent } from './events.ts'
import { checkedStoredToken } from './store-value.ts'
import type { StoredToken, TokenLease, TokenStore } from './token-store.ts'

/**
 * How often a member waiting on another's lease looks in the store for the token.
 *
 * @example
 * ```ts
 * await clock.advance(LEASE_POLL_MS) // a waiting member looks in the store once more
 * ```
 */
export const LEASE_POLL_MS = 100

/**
 * How long one store call may take when the store does not say ({@link TokenStore.timeoutMs}).
 *
 * @example
 * ```ts
 * const store: TokenStore = { ...createMemoryStore(), timeoutMs: DEFAULT_STORE_CALL_MS / 2 }
 * ```
 */
export const DEFAULT_STORE_CALL_MS = 1_000

type StoreFailed = Extract<M3terAuthEvent, { type: 'store_failed' }>

/**
 * What a member does before asking the token endpoint: use a token another member stored, or fetch,
 * holding the fleet's lease when it could get one (release it with {@link StoreSync.release}). Exactly one
 * of the two keys is present, `lease` even when it holds `undefined`: callers tell them apart with `in`.
 *
 * @example
 * ```ts
 * const found = await sync.acquire(key, { signal, rejected, startedAt })
 * if ('token' in found) use(found.token)
 * else { await fetchAndDispatch(); await sync.release(found.lease) }
 * ```
 */
export type Acquired = { readonly token: StoredToken } | { readonly lease: TokenLease | undefined }

/**
 * The provider's side of a shared {@link TokenStore}. Every call to the store is raced against a budget;
 * a store that fails or does not answer in time is skipped, the provider fetches for itself, and a
 * `store_failed` event says so. Writes are tracked so that a lease is released only after the token
 * it guarded has reached the store.
 *
 * @example
 * ```ts
 * const sync = createStoreSync({ store, clock, timeoutMs, emit: (event) => onEvent({ ...event, at: clock.now() }) })
 * ```
 */
export interface StoreSync {
  /**
   * Looks in the store, then takes the lease or waits for its holder's token. Gives up waiting once a
   * lease taken when the attempt started would have run out: a holder that died by then is replaced.
   */
  acquire(key: string, attempt: AttemptContext): Promise<Acquired>
  /** Starts writing a token fetched from the endpoint; the next release waits for it. */
  write(key: string, token: StoredToken): void
  /** Compare-and-delete: drops the stored token only if it is still `accessToken`. */
  remove(key: string, accessToken: string): void
  /** Releases a lease once every write started before has settled (or run out of time). */
  release(lease: TokenLease | undefined): Promise<void>
}

/**
 * The attempt a store phase belongs to.
 *
 * @example
 * ```ts
 * sync.acquire(key, { signal: controller.signal, rejected: seenRejected, startedAt: clock.now() })
 * ```
 */
export interface AttemptContext {
  /** Aborted when the attempt is abandoned (close, new credentials): every wait ends at once. */
  readonly signal: AbortSignal
  /** Tokens this provider saw rejected: never taken from the store again. */
  readonly rejected: readonly string[]
  /**
   * When the attempt started, on the clock's monotonic reading where it has one (else `now()`): the store
   * phase ends a lease lifetime (and a poll) later.
   */
  readonly startedAt: number
}

/**
 * Options of {@link createStoreSync}.
 *
 * @example
 * ```ts
 * createStoreSync({ store, clock, timeoutMs: 10_000, emit })
 * ```
 */
export interface StoreSyncOptions {
  readonly store: TokenStore
  readonly clock: Clock
  /** The token request's own timeout: a lease covers it, plus a read before and a write after. */
  readonly timeoutMs: number
  /** Receives `store_failed` events without their `at`; the provider stamps the time. */
  readonly emit: (event: Omit<StoreFailed, 'at'>) => void
}

/** A call that settled in time with a value, or why it did not. */
type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly timedOut: boolean }

/**
 * A token from the store may be used when this provider has not seen it rejected and it is not yet due
 * for a refresh: a token past its refresh point is what the lease holder is replacing.
 *
 * @example
 * ```ts
 * usable(await store.get(key), clock.now(), seenRejected) // the token, or undefined
 * ```
 */
export function usable(
  token: StoredToken | undefined,
  now: number,
  rejected: readonly string[],
): StoredToken | undefined {
  return token && !rejected.includes(token.accessToken) && now < token.refreshAt && now < token.expiresAt
    ? token
    : undefined
}

/**
 * How long a lease lasts: the holder's whole attempt (the store phase, its token request and the write).
 * A holder that dies is replaced once it runs out.
 *
 * @example
 * ```ts
 * store.lease(key, leaseTtl(10_000, 1_000)) // 12 000 ms
 * ```
 */
export function leaseTtl(timeoutMs: number, callMs: number): number {
  return timeoutMs + 2 * callMs
}

/**
 * Creates the provider's side of a shared store; see {@link StoreSync}.
 *
 * @example
 * ```ts
 * const sync = createStoreSync({ store: createMemoryStore(), clock: systemClock, timeoutMs: 10_000, emit: console.log })
 * const found = await sync.acquire('m3ter-auth:v1:…', { signal, rejected: [], startedAt: Date.now() })
 * if ('token' in found) use(found.token)
 * ```
 */
export function createStoreSync({ store, clock, timeoutMs, emit }: StoreSyncOptions): StoreSync {
  const callMs = positive(store.timeoutMs) ?? DEFAULT_STORE_CALL_MS
  const leaseMs = leaseTtl(timeoutMs, callMs)
  // Budgets are durations: on a clock that has a monotonic reading, a step of the wall clock cannot
  // stretch or cut them. Token times (refreshAt, expiresAt) stay on wall time, the fleet's common reference.
  const monotonic = () => (clock as { monotonic?: () => number }).monotonic?.() ?? clock.now()
  const call = budgetedCalls(clock, callMs, monotonic, emit)
  // Settles once every write started so far has (a call never rejects): what a release waits for. A chain,
  // not a set of pending writes: nothing to forget to remove, and it holds on to no settled write.
  let written: Promise<unknown> = Promise.resolve()
  async function acquire(key: string, { signal, rejected, startedAt }: AttemptContext): Promise<Acquired> {
    // The budget rule (see TokenStore.timeoutMs): the calls on the way to our own token request share ONE
    // call budget, so a slow store costs an attempt no more than a dead one; only a member that saw
    // another holder's lease waits longer, for as long as that holder's attempt may last.
    // Counted from here, not from the attempt's start: a slow credentials() must not eat the store's time.
    const fetchBy = monotonic() + callMs
    const waitUntil = startedAt + leaseMs + LEASE_POLL_MS
    let deadline = fetchBy
    const lease = store.lease?.bind(store)
    const look = async () => {
      const read = await call('get', () => store.get(key), deadline, signal)
      const checked = read.ok ? checkedStoredToken(read.value, clock.now()) : undefined
      return read.ok ? { shared: usable(checked, clock.now(), rejected) } : undefined
    }
    const takeLease = (grant: NonNullable<typeof lease>) =>
      call('lease', () => grant(key, leaseMs), deadline, signal, giveBack)
    // While waiting for a holder, the next lease try goes out with the next read (one round trip a poll,
    // not two); a lease it wins when the read finds the token is given back.
    let early: ReturnType<typeof takeLease> | undefined
    // A bound that does not rest on the clock: each wait below lasts LEASE_POLL_MS, so polls past the
    // wait budget mean a clock that does not move (a manual one nobody advances, a broken pause): give up
    // waiting rather than spin on resolved promises, where no timer (nor a test's timeout) can fire.
    const maxPolls = Math.ceil((waitUntil - monotonic()) / LEASE_POLL_MS) + 2
    for (let polls = 0; ; polls++) {
      const found = await look()
      const pending = early
      early = undefined
      if (!found || found.shared || !lease) {
        pending?.then((taken) => taken.ok && giveBack(taken.value))
        return found?.shared ? { token: found.shared } : { lease: undefined }
      }
      const taken = await (pending ?? takeLease(lease))
      // A store that failed is not a store whose lease another member holds: fetch without it.
      if (!taken.ok) return { lease: undefined }
      if (taken.value) {
        // A holder may have written and released between our read and our lease: look once more before
        // fetching, or the fleet pays for a second token; not when the budget is spent (fetch now).
        const written = deadline - monotonic() > 0 ? (await look())?.shared : undefined
        if (!written) return { lease: taken.value }
        await release(taken.value)
        return { token: written }
      }
      deadline = waitUntil
      if (monotonic() + LEASE_POLL_MS >= deadline || polls >= maxPolls) {
        emit({ type: 'store_failed', operation: 'wait', reason: 'timeout' })
        return { lease: undefined }
      }
      await pause(clock, LEASE_POLL_MS, signal)
      // Stryker disable next-line ConditionalExpression: equivalent, a fast exit: past it, every store call of the next poll short-circuits on the aborted signal and the loop returns the same { lease: undefined }
      if (signal.aborted) return { lease: undefined }
      early = takeLease(lease)
    }
  }

  // A write in progress holds back the release of a lease (see release).
  function track(operation: 'set' | 'delete', work: () => Promise<void>): void {
    written = Promise.all([written, call(operation, work, monotonic() + callMs)])
  }

  async function release(held: TokenLease | undefined): Promise<void> {
    if (!held) return
    await written
    await call('release', () => held.release(), monotonic() + callMs)
  }

  return {
    acquire,
    write: (key, token) => track('set', () => store.set(key, token)),
    remove: (key, accessToken) => track('delete', () => store.delete(key, accessToken)),
    release,
  }
}

/**
 * Builds `call`, which runs one store call within its budget: the smaller of the call budget and the time
 * left before `deadline` (monotonic). It never rejects: it settles with the value, or with why not (a
 * `store_failed` event says so too, unless the attempt was abandoned). A value that comes too late goes to
 * `late`.
 */
function budgetedCalls(
  clock: Clock,
  callMs: number,
  monotonic: () => number,
  emit: StoreSyncOptions['emit'],
) {
  return <T>(
    operation: StoreFailed['operation'],
    work: () => Promise<T>,
    deadline: number,
    signal?: AbortSignal,
    late?: (value: T) => void,
  ): Promise<Outcome<T>> => {
    const budget = Math.min(callMs, deadline - monotonic())
    return new Promise((resolve) => {
      let settled = false
      let timer: unknown
      const finish = (outcome: Outcome<T>) => {
        if (settled) return
        settled = true
        clock.clearTimeout(timer)
        signal?.removeEventListener('abort', abort)
        if (!outcome.ok && !signal?.aborted)
          emit({ type: 'store_failed', operation, reason: outcome.timedOut ? 'timeout' : 'error' })
        resolve(outcome)
      }
      const abort = () => finish(FAILED)
      if (budget <= 0 || signal?.aborted) return finish({ ok: false, timedOut: !signal?.aborted })
      timer = clock.setTimeout(() => finish({ ok: false, timedOut: true }), budget)
      signal?.addEventListener('abort', abort)
      let pending: Promise<T>
      try {
        pending = Promise.resolve(work())
      } catch (error) {
        pending = Promise.reject(error)
      }
      pending.then(
        (value) => (settled ? late?.(value) : finish({ ok: true, value })),
        () => finish(FAILED),
      )
    })
  }
}

/**
 * A call that failed or was abandoned before its budget ran out. On an abandoned one (an abort) no event is
 * emitted, so only `ok` is read there.
 */
// Stryker disable next-line ObjectLiteral: equivalent, `{}` reads as ok: undefined and timedOut: undefined, as falsy as false, where the outcome is read
const FAILED: Outcome<never> = { ok: false, timedOut: false }

function positive(value: number | undefined): number | undefined {
  return typeof value === 'number' && value > 0 ? value : undefined
}

// A lease granted after we stopped waiting for it is nobody's: give it back rather than let it block
// the fleet until it expires.
function giveBack(lease: TokenLease | undefined): void {
  lease?.release().catch(() => {})
}

/** Waits `ms` on the injected clock; an abort (close) ends the wait at once and clears the timer. */
function pause(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clock.clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = clock.setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}
