import {
  type CredentialsSource,
  createTokenPool,
  type M3terAuthEvent,
  type TokenPool,
  type TokenProvider,
  type TokenProviderOptions,
} from '@m3ter-auth/core'
import { createManualClock, type ManualClock } from '../clock.ts'
import type { RequestLogEntry } from '../exchange.ts'
import { type ForeignServer, startForeignServer } from '../foreign-server.ts'
import { type MockM3ter, type MockM3terOptions, startMockM3ter } from '../mock-m3ter.ts'
import { createProviderFor } from '../provider-for.ts'
import type { AdapterDriver, DriverRequest, DriverResponse, MakeDriver } from './driver.ts'

/** Everything one conformance test works with. */
export interface Harness {
  readonly clock: ManualClock
  readonly m3ter: MockM3ter
  readonly foreign: ForeignServer
  readonly auth: TokenProvider
  readonly driver: AdapterDriver
  /** Every event the provider emitted. */
  readonly events: M3terAuthEvent[]
  /** `${apiUrl}/organizations/${orgId}${path}` */
  api(path: string): string
  ingest(path: string): string
  /** A request through the driver, settled while the clock is moved across any token endpoint backoff. */
  send(req: DriverRequest): Promise<DriverResponse>
  /** Settles a pending promise, advancing the clock by each backoff the provider announces. */
  settle<T>(promise: Promise<T>): Promise<T>
  /** Waits (polling real I/O, never moving the clock) until `check` holds. */
  until(check: () => boolean, what: string): Promise<void>
  /** Requests the api and ingest origins saw, in order. */
  apiLog(): RequestLogEntry[]
  /** The bearer token a logged request carried, if any. */
  bearerOf(entry: RequestLogEntry): string | undefined
  /** The event of the last token fetched. */
  lastFetched(): Extract<M3terAuthEvent, { type: 'token_fetched' }>
  close(): Promise<void>
}

/** Options of one harness: how the mock and the provider differ from the defaults in this test. */
export interface HarnessOptions {
  readonly mock?: MockM3terOptions
  readonly credentials?: (m3ter: MockM3ter) => CredentialsSource
  readonly provider?: Partial<TokenProviderOptions>
  /** The pool's own options, for a suite run with a pool. */
  readonly pool?: { readonly maxProviders?: number }
}

const REAL_WAIT_LIMIT_MS = 8_000

const realTick = () => new Promise<void>((resolve) => setTimeout(resolve, 2))

export async function createHarness(
  makeDriver: MakeDriver,
  base: Partial<TokenProviderOptions>,
  options: HarnessOptions = {},
  pool = false,
): Promise<Harness> {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock, ...options.mock })
  const foreign = await startForeignServer()
  const events: M3terAuthEvent[] = []
  const userOnEvent = options.provider?.onEvent ?? base.onEvent
  let auth: TokenProvider | undefined
  let driver: AdapterDriver | undefined
  // A test may close the driver itself (§4.11); closing twice must not fail the clean-up.
  let driverClosed: Promise<void> | undefined
  const closeDriver = () => {
    driverClosed ??= Promise.resolve(driver?.close?.())
    return driverClosed
  }
  const close = async () => {
    await closeDriver()
    await auth?.close()
    await m3ter.close()
    await foreign.close()
  }
  try {
    const providerOptions: TokenProviderOptions = {
      credentials: options.credentials?.(m3ter) ?? (m3ter.keys[0] as CredentialsSource),
      clock,
      random: () => 0.5,
      ...base,
      ...options.provider,
      onEvent: (event) => {
        events.push(event)
        userOnEvent?.(event)
      },
    }
    if (pool) {
      const made = await poolOfOne(m3ter, providerOptions, options.pool)
      auth = made.member
      // A driver hands `auth` to its adapter, which takes a pool wherever it takes a provider.
      driver = await makeDriver(made.pool as unknown as TokenProvider)
    } else {
      auth = createProviderFor(m3ter, providerOptions)
      driver = await makeDriver(auth)
    }
  } catch (error) {
    await close()
    throw error
  }
  const provider = auth
  const client = driver

  const until = async (check: () => boolean, what: string) => {
    const start = Date.now()
    while (!check()) {
      if (Date.now() - start > REAL_WAIT_LIMIT_MS)
        throw new Error(`conformance: timed out waiting for ${what}`)
      await realTick()
    }
  }

  let handled = 0
  const settle = async <T>(promise: Promise<T>): Promise<T> => {
    let done = false
    promise.then(
      () => {
        done = true
      },
      () => {
        done = true
      },
    )
    const start = Date.now()
    while (!done) {
      // Events may have come before this call (a test moved the clock itself), so every announced retry
      // still in the future is reached; one already passed needs nothing.
      const fresh = events.slice(handled)
      handled = events.length
      for (const event of fresh)
        if (event.type === 'refresh_failed' && event.retryInMs !== undefined)
          await clock.advanceTo(event.at + event.retryInMs)
      if (Date.now() - start > REAL_WAIT_LIMIT_MS) throw new Error('conformance: request never settled')
      if (!done) await realTick()
    }
    return promise
  }

  return {
    clock,
    m3ter,
    foreign,
    auth: provider,
    driver: { request: (req) => client.request(req), close: closeDriver },
    events,
    api: (path) => `${m3ter.apiUrl}/organizations/${m3ter.orgId}${path}`,
    ingest: (path) => `${m3ter.ingestUrl}/organizations/${m3ter.orgId}${path}`,
    send: (req) => settle(client.request(req)),
    settle,
    until,
    apiLog: () => m3ter.log.filter((entry) => entry.origin === 'api' || entry.origin === 'ingest'),
    bearerOf(entry) {
      const match = /^bearer\s+(\S+)$/i.exec(entry.headers.authorization ?? '')
      return match?.[1]
    },
    lastFetched() {
      const fetched = events.filter((event) => event.type === 'token_fetched').at(-1)
      if (!fetched) throw new Error('conformance: no token has been fetched yet')
      return fetched as Extract<M3terAuthEvent, { type: 'token_fetched' }>
    },
    close,
  }
}

/**
 * A pool whose only organisation is the mock's, with the options a provider would get, and its member. The
 * member is never evicted for idleness (the longest idle time a timer allows; a test may set `maxProviders`
 * to evict it for capacity), and closing it closes the
 * pool, so that a test's `auth.close()` leaves no timer of the pool behind either.
 */
async function poolOfOne(
  m3ter: MockM3ter,
  options: TokenProviderOptions,
  poolOptions: HarnessOptions['pool'] = {},
): Promise<{ pool: TokenPool; member: TokenProvider }> {
  const { credentials, onEvent, ...shared } = options
  const pool = createTokenPool({
    tokenUrl: m3ter.tokenUrl,
    scope: [m3ter.apiUrl, m3ter.ingestUrl],
    ...shared,
    // The mock's other organisations are looked up asynchronously, as a secret manager would answer.
    credentialsFor: async (orgId) =>
      orgId === m3ter.orgId
        ? credentials
        : m3ter.organizations.find((organization) => organization.orgId === orgId)?.keys[0],
    idleMs: 2 ** 31 - 1,
    ...poolOptions,
    // The member's events, as a provider's would be (with their orgId); the pool's own are not the contract's.
    onEvent: (event) => {
      if ('orgId' in event && !event.type.startsWith('pool_') && event.type !== 'request_unrouted')
        onEvent?.(event as M3terAuthEvent)
    },
  })
  const member = await pool.for(m3ter.orgId)
  if (!member) throw new Error('conformance: the pool does not know the mock organisation')
  // The member itself (the request policy knows it by identity), its close() extended to the pool's.
  const closeMember = member.close
  Object.assign(member, {
    close: async () => {
      await pool.close()
      await closeMember()
    },
  })
  return { pool, member }
}
