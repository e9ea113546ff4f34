import type { Clock } from '../../src/clock.ts'
import type { StoredToken, TokenLease, TokenStore } from '../../src/token-store.ts'
import type { Prng } from './prng.ts'
import type { VirtualTime } from './virtual-time.ts'

/** How the shared store misbehaves; the world may change it as the scenario goes. */
export interface StoreFaults {
  /** One-way latency of a call, in ms: [min, max]. */
  latencyMs: readonly [number, number]
  /** Chance that a call fails (rejects) after its latency. */
  failRate: number
  /** Chance that a request is held (a stalled client or holder) for `stallMs` before it lands. */
  stallRate: number
  stallMs: readonly [number, number]
  /** Chance that a write lands a second time later (a client's queue re-sending after a reconnect). */
  resendRate: number
  /** How long after the first landing a re-sent write lands again. */
  resendAfterMs: readonly [number, number]
}

/** What the store promises; turned off to measure what the contract is for. */
export interface StoreContract {
  /** Keeps durations and rebuilds times from the reader's clock; else keeps the writer's absolute times. */
  readonly durations: boolean
  /** A write never replaces a token that expires later. */
  readonly fenced: boolean
  /** A compare-and-delete leaves a tombstone for the deleted token's remaining lifetime. */
  readonly tombstones: boolean
  /**
   * Files tokens under the key core gives (bound to the secret); false files every token under one key,
   * as core's v1 key (token URL and key id only) did for two members that share the key id.
   */
  readonly keyedBySecret: boolean
}

/** A token as the store keeps it: instants on the store's own (true) clock, i.e. durations. */
interface Entry {
  readonly accessToken: string
  readonly obtainedAt: number
  readonly refreshAt: number
  readonly expiresAt: number
  /** The writer's numbers, for a store that keeps absolute times. */
  readonly asWritten: StoredToken
}

/**
 * A shared store (Redis-like) for the simulation: one backend on true time, and for each machine a
 * {@link TokenStore} view that converts to and from that machine's clock, as a store client running on
 * it does. Latency, failures, stalls, re-sent writes and data loss come from the seeded PRNG. A write's
 * durations are read from the writer's clock when the write lands: a stall models a paused writer (a GC
 * pause, SIGSTOP), not a network holding a computed TTL for minutes (which would stretch a lifetime in any
 * store that keeps durations).
 */
export interface StoreModel {
  readonly faults: StoreFaults
  viewFor(clock: Clock): TokenStore
  /** Data loss: every token, tombstone and lease gone (a restart without persistence, a failover). */
  wipe(): void
  /** A write replaced a token that expires later (a stalled holder's older token). */
  olderWrites(): number
  /** A read returned a token after a compare-and-delete had removed it (a revoked token revived). */
  revivedReads(): number
}

export function createStoreModel(
  time: VirtualTime,
  prng: Prng,
  contract: StoreContract = { durations: true, fenced: true, tombstones: true, keyedBySecret: true },
  declaredTimeoutMs?: number,
): StoreModel {
  const faults: StoreFaults = {
    latencyMs: [0, 5],
    failRate: 0,
    stallRate: 0,
    stallMs: [5_000, 60_000],
    resendRate: 0,
    resendAfterMs: [1_000, 60_000],
  }
  const tokens = new Map<string, Entry>()
  const tombstones = new Map<string, number>()
  const everDeleted = new Set<string>()
  const leases = new Map<string, { holder: object; until: number }>()
  let olderWrites = 0
  let revivedReads = 0

  /** Runs `land` at the store after the request's trip, and answers after the reply's trip. */
  const roundTrip = <T>(land: () => T): Promise<T> =>
    new Promise((resolve, reject) => {
      const stalled = prng.chance(faults.stallRate) ? prng.int(...faults.stallMs) : 0
      const there = prng.int(...faults.latencyMs) + stalled
      const back = prng.int(...faults.latencyMs)
      const fails = prng.chance(faults.failRate)
      time.at(time.now() + there, () => {
        if (fails) return time.at(time.now() + back, () => reject(new Error('store: connection reset')))
        const value = land()
        time.at(time.now() + back, () => resolve(value))
      })
    })

  const write = (key: string, entry: Entry) => {
    const stored = tokens.get(key)
    if (stored && stored.expiresAt > time.now() && stored.expiresAt > entry.expiresAt) {
      if (contract.fenced) return
      olderWrites++
    }
    if (contract.tombstones && (tombstones.get(entry.accessToken) ?? 0) > time.now()) return
    tokens.set(key, entry)
  }

  const read = (key: string): Entry | undefined => {
    const entry = tokens.get(key)
    if (!entry || entry.expiresAt <= time.now()) return undefined
    if (everDeleted.has(entry.accessToken)) revivedReads++
    return entry
  }

  // A store client on the machine whose clock this is.
  const makeView = (clock: Clock): TokenStore => {
    // The conversions a store client on this machine makes: durations out, the reader's times back in.
    const toEntry = (token: StoredToken): Entry => {
      const offset = time.now() - clock.now()
      return {
        accessToken: token.accessToken,
        obtainedAt: token.obtainedAt + offset,
        refreshAt: token.refreshAt + offset,
        expiresAt: token.expiresAt + offset,
        asWritten: token,
      }
    }
    // At the reply's arrival: the durations as of when the store read them, counted from our now.
    const fromEntry = (entry: Entry, readAt: number): StoredToken => {
      if (!contract.durations) return entry.asWritten
      const shift = clock.now() - readAt
      return {
        accessToken: entry.accessToken,
        obtainedAt: entry.obtainedAt + shift,
        refreshAt: entry.refreshAt + shift,
        expiresAt: entry.expiresAt + shift,
      }
    }
    return {
      ...(declaredTimeoutMs === undefined ? {} : { timeoutMs: declaredTimeoutMs }),
      get: (key) =>
        roundTrip(() => ({ entry: read(key), readAt: time.now() })).then(({ entry, readAt }) =>
          entry ? fromEntry(entry, readAt) : undefined,
        ),
      set(key, token) {
        const landing = () => write(key, toEntry(token))
        if (prng.chance(faults.resendRate))
          time.at(
            time.now() + prng.int(...faults.resendAfterMs),
            () => void roundTrip(landing).catch(() => {}),
          )
        return roundTrip(landing)
      },
      delete: (key, accessToken) =>
        roundTrip(() => {
          const stored = tokens.get(key)
          if (accessToken === undefined) return void tokens.delete(key)
          if (stored?.accessToken !== accessToken) return
          tokens.delete(key)
          everDeleted.add(accessToken)
          if (contract.tombstones) tombstones.set(accessToken, stored.expiresAt)
        }),
      lease: (key, ttlMs) =>
        roundTrip((): TokenLease | undefined => {
          const held = leases.get(key)
          if (held && held.until > time.now()) return undefined
          const holder = {}
          leases.set(key, { holder, until: time.now() + ttlMs })
          return {
            release: () =>
              roundTrip(() => {
                if (leases.get(key)?.holder === holder) leases.delete(key)
              }),
          }
        }),
    }
  }
  return {
    faults,
    viewFor(clock): TokenStore {
      const view = makeView(clock)
      if (contract.keyedBySecret) return view
      const one = 'm3ter-auth:v1:one-key-for-every-secret'
      return {
        ...view,
        get: () => view.get(one),
        set: (_, token) => view.set(one, token),
        delete: (_, accessToken) => view.delete(one, accessToken),
        lease: (_, ttlMs) => view.lease?.(one, ttlMs) ?? Promise.resolve(undefined),
      }
    },
    wipe() {
      tokens.clear()
      tombstones.clear()
      leases.clear()
    },
    olderWrites: () => olderWrites,
    revivedReads: () => revivedReads,
  }
}
