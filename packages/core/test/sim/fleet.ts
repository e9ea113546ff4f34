import type { Credentials } from '../../src/credentials.ts'
import { createTokenProvider, type TokenProvider } from '../../src/provider.ts'
import { storeKeyOf } from '../../src/store-key.ts'
import { createEndpointModel, type EndpointModel, TOKEN_URL } from './endpoint-model.ts'
import { checkServed, checkTokenRequests, newObserved, type Observed } from './invariants.ts'
import { createPrng, type Prng } from './prng.ts'
import type { Scenario } from './scenario.ts'
import { createStoreModel, type StoreModel } from './store-model.ts'
import { createVirtualTime } from './virtual-time.ts'

/** The Service User's key, and another tenant's secret for the same key id. Frozen and derived once. */
export const RIGHT_KEY: Credentials = Object.freeze({ accessKeyId: 'sim-key', apiSecret: 'sim-secret-right' })
export const WRONG_KEY: Credentials = Object.freeze({ accessKeyId: 'sim-key', apiSecret: 'sim-secret-wrong' })

/**
 * Derives both store keys before any run: real crypto outside virtual time would make a run depend on the
 * machine's speed; derived once, every provider finds its key without an await.
 */
export async function prepareKeys(): Promise<void> {
  await Promise.all([storeKeyOf(TOKEN_URL, RIGHT_KEY), storeKeyOf(TOKEN_URL, WRONG_KEY)])
}

/** What a run leaves behind: the invariants' findings and the world's counters. */
export interface FleetRun {
  readonly observed: Observed
  readonly endpoint: EndpointModel
  readonly store: StoreModel | undefined
  readonly steps: number
}

interface Process {
  readonly name: string
  readonly provider: TokenProvider
  /** Tokens this process saw revoked, with the number of the last ask made before it saw it. */
  readonly seenRevoked: Map<string, number>
  readonly startedAt: number
  closed: boolean
}

const START = Date.UTC(2026, 0, 1)
// SIM_TRACE=m1.1 prints that process's events while a seed replays.
const TRACE = process.env.SIM_TRACE

/**
 * Runs one scenario: N machines, each with its own skewed clock, running a REAL token provider (killed
 * and restarted as the scenario says) that asks the endpoint model through its injected fetch and shares
 * tokens through the store model, its members demanding tokens at random and using them (a revoked token
 * is seen, invalidated and asked again once). Every token served is checked as it is served.
 */
export async function runFleet(scenario: Scenario): Promise<FleetRun> {
  const prng = createPrng(scenario.seed)
  const time = createVirtualTime(START)
  const endpoint = createEndpointModel(time, prng.fork(), RIGHT_KEY, scenario.lifetimeSeconds)
  endpoint.behaviour.latencyMs = scenario.endpointLatencyMs
  const store =
    scenario.store === 'none'
      ? undefined
      : createStoreModel(time, prng.fork(), scenario.storeContract, scenario.storeTimeoutMs)
  if (store) Object.assign(store.faults, scenario.storeFaults)
  const observed = newObserved()
  const lives = new Map<string, { alive: number; revocationsSeen: number }>()
  const processes: Process[] = []
  const restarts = new Map<number, () => void>()
  // Asks are numbered: a caller that asked after its process saw a token revoked must never get it.
  let asks = 0
  for (let machine = 0; machine < scenario.members; machine++) {
    startMachine(machine, prng.fork())
  }
  scheduleWorld()
  await time.run(START + scenario.durationMs)
  for (const process of processes) stop(process)
  await time.run(time.now())
  checkTokenRequests(observed, scenario, endpoint, lives)
  return { observed, endpoint, store, steps: time.steps() }

  function startMachine(machine: number, own: Prng): void {
    const drawn = (own.next() * 2 - 1) * scenario.maxSkewMs
    const skew = scenario.skewPattern === 'extremes' ? (machine % 2 ? -1 : 1) * scenario.maxSkewMs : drawn
    const clock = time.clockFor(Math.round(skew), own.int(0, 1e9))
    const view = store?.viewFor(clock)
    const wrongSecret = scenario.wrongSecretMachine === machine
    let generation = 0
    const boot = () => {
      const name = `m${machine}.${generation++}`
      const provider = createTokenProvider({
        credentials: wrongSecret ? WRONG_KEY : RIGHT_KEY,
        tokenUrl: TOKEN_URL,
        scope: ['https://api.m3ter.test'],
        clock,
        random: own.next,
        fetch: endpoint.fetchFor(name),
        ...(view ? { store: view } : {}),
        ...(TRACE === name
          ? { onEvent: (e: unknown) => console.log(time.now() - START, name, JSON.stringify(e)) }
          : {}),
      })
      const process: Process = {
        name,
        provider,
        seenRevoked: new Map(),
        startedAt: time.now(),
        closed: false,
      }
      processes[machine] = process
      lives.set(name, { alive: 0, revocationsSeen: 0 })
      return process
    }
    boot()
    const demand = () => {
      const process = processes[machine]
      if (process && !process.closed) use(process, wrongSecret, true)
      time.at(time.now() + 1 + Math.floor(-Math.log(1 - own.next()) * scenario.demandEveryMs), demand)
    }
    time.at(START + own.int(0, scenario.firstDemandWithinMs ?? 60_000), demand)
    restarts.set(machine, () => void boot())
  }

  function use(process: Process, wrongSecret: boolean, retry: boolean): void {
    const asked = time.now()
    const ask = ++asks
    process.provider.getToken().then(
      (token) => {
        if (process.closed) return
        if (TRACE === process.name)
          console.log(time.now() - START, process.name, 'served', token, endpoint.isRevoked(token))
        checkServed(
          observed,
          endpoint,
          { token, process: process.name, wrongSecret, ask, seenRevoked: process.seenRevoked },
          time.now(),
          time.now() - asked,
        )
        if (!endpoint.isRevoked(token)) return
        // The API answered 403: this process has seen the revocation.
        if (!process.seenRevoked.has(token)) process.seenRevoked.set(token, asks)
        const life = lives.get(process.name)
        if (life && process.provider.invalidate(token)) life.revocationsSeen++
        if (retry) use(process, wrongSecret, false)
      },
      () => {
        // Errors are the provider's business (an outage, a wrong secret); the invariants judge tokens.
      },
    )
  }

  function stop(process: Process): void {
    if (process.closed) return
    process.closed = true
    const life = lives.get(process.name)
    if (life) life.alive = time.now() - process.startedAt
    void process.provider.close()
  }

  function scheduleWorld(): void {
    for (const [at, length] of scenario.outages) {
      time.at(START + at, () => {
        endpoint.behaviour.outage = true
      })
      time.at(START + at + length, () => {
        endpoint.behaviour.outage = false
      })
    }
    for (const at of scenario.revocations) time.at(START + at, () => endpoint.revokeAll())
    for (const at of scenario.wipes) time.at(START + at, () => store?.wipe())
    for (const [at, machine, downMs] of scenario.restarts) {
      const index = machine % scenario.members
      time.at(START + at, () => {
        const process = processes[index]
        if (!process || process.closed) return
        stop(process)
        time.at(time.now() + downMs, () => restarts.get(index)?.())
      })
    }
  }
}
