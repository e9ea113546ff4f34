import type { M3terAuthEvent, TokenProvider, TokenProviderOptions } from '@m3ter-auth/core'
import {
  createManualClock,
  createProviderFor,
  type ManualClock,
  type MockM3ter,
  type MockM3terOptions,
  startMockM3ter,
} from '@m3ter-auth/testkit'
import { type AdapterName, type Driver, makeDriver, type Req } from './drivers.ts'
import { LeakScanner } from './leaks.ts'
import { turn } from './unhandled.ts'

export type Fetched = Extract<M3terAuthEvent, { type: 'token_fetched' }>
export type Failed = Extract<M3terAuthEvent, { type: 'refresh_failed' }>
export type Rejected = Extract<M3terAuthEvent, { type: 'credentials_rejected' }>

/** A mock m3ter, a provider and one adapter's client, all on one manual clock. */
export interface Rig {
  readonly clock: ManualClock
  readonly m3ter: MockM3ter
  readonly auth: TokenProvider
  readonly driver: Driver
  readonly events: M3terAuthEvent[]
  readonly leaks: LeakScanner
  readonly maxAttempts: number
  /** A list request on the config API: in scope, answered 200 with a good bearer. */
  meters(extra?: Partial<Req>): Req
  /** Token requests the mock has seen (the attempts, whatever became of them). */
  tokenAttempts(): number
  /** Clock instants the driver moved to, and what for (for the matrix's "exactly to the next retry" check). */
  readonly moves: Array<{ to: number; why: 'retry' | 'timeout'; nextDue: number | undefined }>
  /** Settles a promise, moving the clock exactly to each retry the provider announces and past hung attempts. */
  settle<T>(promise: Promise<T>): Promise<T>
  /** Drives the clock the same way until `check` holds. */
  driveUntil(check: () => boolean, what: string): Promise<void>
  fetched(): Fetched[]
  failures(): Failed[]
  close(): Promise<void>
}

export interface RigOptions {
  readonly mock?: MockM3terOptions
  readonly provider?: Partial<TokenProviderOptions>
}

// Real time a drive may take before the test gives up: only loopback I/O happens in it, so seconds mean a hang.
const REAL_LIMIT_MS = 10_000

export async function createRig(adapter: AdapterName, options: RigOptions = {}): Promise<Rig> {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock, ...options.mock })
  const events: M3terAuthEvent[] = []
  const leaks = new LeakScanner()
  leaks.watch(m3ter)
  const maxAttempts = options.provider?.retry?.maxAttempts ?? 4
  const auth = createProviderFor(m3ter, {
    clock,
    // A fixed draw makes every backoff and refresh instant reproducible.
    random: () => 0.5,
    timeoutMs: 5_000,
    // The suites here judge whole rounds (4 attempts of 5 s): no caller is cut short by maxWaitMs (its own
    // tests are in core's test/max-wait.test.ts).
    maxWaitMs: 60_000,
    ...options.provider,
    retry: { maxAttempts, ...options.provider?.retry },
    onEvent: (event) => {
      events.push(event)
      leaks.touch(`event ${event.type}`, event)
    },
  })
  const driver = makeDriver(adapter, auth)
  const moves: Rig['moves'] = []

  let handledEvents = 0
  let handledHang = -1
  const inFlight = () => {
    const status = auth.snapshot().status
    return status === 'fetching' || status === 'refreshing'
  }
  const lastTokenEntry = () => {
    for (let i = m3ter.log.length - 1; i >= 0; i--) if (m3ter.log[i]!.origin === 'token') return m3ter.log[i]
    return undefined
  }
  const started = () => events.filter((event) => event.type === 'fetch_started').length

  // One step of the drive: a retry announced by an event is reached exactly (not beyond: that would also
  // fire the next attempt's timeout); an attempt the mock will never answer is timed out by moving to the
  // one timer pending, its timeout; otherwise real I/O gets a turn.
  const step = async () => {
    let retryAt: number | undefined
    for (; handledEvents < events.length; handledEvents++) {
      const event = events[handledEvents]!
      if (event.type === 'refresh_failed' && event.retryInMs !== undefined)
        retryAt = event.at + event.retryInMs
    }
    if (retryAt !== undefined) {
      moves.push({ to: retryAt, why: 'retry', nextDue: clock.nextDue() })
      await clock.advanceTo(retryAt)
      return
    }
    const attempts = m3ter.stats.tokenRequests
    const last = lastTokenEntry()
    if (last?.fault === 'hang' && attempts === started() && handledHang !== attempts && inFlight()) {
      handledHang = attempts
      const due = clock.nextDue()
      moves.push({ to: due ?? clock.now(), why: 'timeout', nextDue: due })
      if (due !== undefined) await clock.advanceTo(due)
      return
    }
    await turn()
  }

  const driveUntil = async (check: () => boolean, what: string) => {
    const start = Date.now()
    while (!check()) {
      if (Date.now() - start > REAL_LIMIT_MS) throw new Error(`rig: timed out driving until ${what}`)
      await step()
    }
  }

  const settle = async <T>(promise: Promise<T>): Promise<T> => {
    let done = false
    const mark = () => {
      done = true
    }
    promise.then(mark, mark)
    await driveUntil(() => done, 'a request settled')
    return promise
  }

  return {
    clock,
    m3ter,
    auth,
    driver,
    events,
    leaks,
    maxAttempts,
    moves,
    meters: (extra = {}) => ({
      url: `${m3ter.apiUrl}/organizations/${m3ter.orgId}/meters?pageSize=2`,
      ...extra,
    }),
    tokenAttempts: () => m3ter.stats.tokenRequests,
    settle,
    driveUntil,
    fetched: () => events.filter((event): event is Fetched => event.type === 'token_fetched'),
    failures: () => events.filter((event): event is Failed => event.type === 'refresh_failed'),
    async close() {
      leaks.touch('provider', auth)
      leaks.touch('snapshot', auth.snapshot())
      leaks.rememberTokens()
      await driver.close()
      await auth.close()
      await m3ter.close()
    },
  }
}

/** The bearer a logged request carried. */
export function bearerOf(
  entry: { headers: Readonly<Record<string, string>> } | undefined,
): string | undefined {
  return /^bearer\s+(\S+)$/i.exec(entry?.headers.authorization ?? '')?.[1]
}

/** Settles into `{ value }` or `{ error }`, for assertions without try/catch. */
export async function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise }
  } catch (error) {
    return { error }
  }
}
