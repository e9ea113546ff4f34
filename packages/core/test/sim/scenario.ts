import type { Prng } from './prng.ts'
import type { StoreContract, StoreFaults } from './store-model.ts'

/** Everything a seed decides about a run: drawn once, printed with a failure. */
export interface Scenario {
  readonly seed: number
  readonly members: number
  readonly durationMs: number
  readonly lifetimeSeconds: number
  /** Each machine's wall clock is off by up to this much, either way. */
  readonly maxSkewMs: number
  readonly endpointLatencyMs: readonly [number, number]
  /** [start, length] of each outage, in ms from the start. */
  readonly outages: readonly (readonly [number, number])[]
  readonly revocations: readonly number[]
  /** Kills (close) and restarts of a member: [at, machine, down for ms]. */
  readonly restarts: readonly (readonly [number, number, number])[]
  /** A machine holding the right key id and a wrong secret (another tenant), if any. */
  readonly wrongSecretMachine: number | undefined
  readonly store: 'none' | 'healthy' | 'faulty'
  readonly storeFaults: StoreFaults
  readonly storeContract: StoreContract
  /** The store's declared `timeoutMs` (undefined: core's default). */
  readonly storeTimeoutMs?: number
  /** Data losses of the store, at these times. */
  readonly wipes: readonly number[]
  /** Mean time between two demands of one member. */
  readonly demandEveryMs: number
  /** Each member's first demand comes within this long of the start (0: all at once, a cold fleet). */
  readonly firstDemandWithinMs?: number
  /** `extremes`: every machine is off by exactly ±maxSkewMs, alternating; else drawn in between. */
  readonly skewPattern?: 'random' | 'extremes'
}

/**
 * A quiet fleet to build the fixed scenarios of the issue on: 10 members for 11 hours, a healthy store,
 * no fault; each case overrides what it is about.
 */
export function fixedScenario(overrides: Partial<Scenario>): Scenario {
  return {
    seed: 24,
    members: 10,
    durationMs: 11 * HOUR,
    lifetimeSeconds: 5 * 3600,
    maxSkewMs: 0,
    endpointLatencyMs: [100, 100],
    outages: [],
    revocations: [],
    restarts: [],
    wrongSecretMachine: undefined,
    store: 'healthy',
    storeFaults: {
      latencyMs: [1, 5],
      failRate: 0,
      stallRate: 0,
      stallMs: [5_000, 60_000],
      resendRate: 0,
      resendAfterMs: [1_000, 60_000],
    },
    storeContract: { durations: true, fenced: true, tombstones: true, keyedBySecret: true },
    wipes: [],
    demandEveryMs: 5 * MINUTE,
    ...overrides,
  }
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/** Draws a scenario from a seed: the random fleets of the 1,000-seed run. */
export function randomScenario(seed: number, prng: Prng): Scenario {
  const durationMs = prng.int(2, 11) * HOUR
  const times = (count: number) => Array.from({ length: count }, () => prng.int(0, durationMs))
  const store = prng.chance(0.5) ? 'healthy' : prng.chance(0.8) ? 'faulty' : 'none'
  const faulty = store === 'faulty'
  return {
    seed,
    members: prng.int(2, 30),
    durationMs,
    lifetimeSeconds: 5 * 3600,
    maxSkewMs: prng.chance(0.7) ? 15 * MINUTE : prng.int(0, 15 * MINUTE),
    endpointLatencyMs: [0, prng.int(0, 5_000)],
    outages: times(prng.int(0, 3)).map((at) => [at, prng.int(10_000, 5 * MINUTE)] as const),
    revocations: times(prng.int(0, 3)),
    restarts: times(prng.int(0, 8)).map((at) => [at, prng.int(0, 29), prng.int(0, MINUTE)] as const),
    wrongSecretMachine: prng.chance(0.2) ? 0 : undefined,
    store,
    storeFaults: {
      latencyMs: [0, faulty ? prng.int(0, 800) : prng.int(0, 50)],
      failRate: faulty ? prng.next() * 0.3 : 0,
      stallRate: faulty ? prng.next() * 0.05 : 0,
      stallMs: [5_000, 60_000],
      resendRate: faulty ? prng.next() * 0.3 : 0,
      resendAfterMs: [1_000, 10 * MINUTE],
    },
    storeContract: { durations: true, fenced: true, tombstones: true, keyedBySecret: true },
    wipes: faulty ? times(prng.int(0, 3)) : [],
    demandEveryMs: prng.int(1, 20) * MINUTE,
  }
}
