import { inspect } from 'node:util'
import { createManualClock, type ManualClock, type MockM3ter, startMockM3ter } from '@m3ter-auth/testkit'
import type { M3terAuthEvent } from '../src/events.ts'
import type { TokenProviderOptions } from '../src/options.ts'
import type { TokenProvider } from '../src/provider.ts'
import { createTokenProvider } from '../src/provider.ts'

/** A provider wired to a fresh mock m3ter on one manual clock, with its events recorded. */
export interface Rig {
  readonly m3ter: MockM3ter
  readonly clock: ManualClock
  readonly auth: TokenProvider
  readonly events: M3terAuthEvent[]
  /** Resolves at the next event of this type (one already recorded after `since` counts). */
  next(type: M3terAuthEvent['type'], since?: number): Promise<M3terAuthEvent>
  close(): Promise<void>
}

export async function rig(
  options: Partial<TokenProviderOptions> = {},
  mockOptions: Parameters<typeof startMockM3ter>[0] = {},
): Promise<Rig> {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock, ...mockOptions })
  const events: M3terAuthEvent[] = []
  const listeners: Array<() => void> = []
  const key = m3ter.keys[0]!
  const auth = createTokenProvider({
    credentials: { accessKeyId: key.accessKeyId, apiSecret: key.apiSecret },
    tokenUrl: m3ter.tokenUrl,
    scope: [m3ter.apiUrl, m3ter.ingestUrl],
    clock,
    random: () => 0.5,
    ...options,
    onEvent: (event) => {
      events.push(event)
      options.onEvent?.(event)
      for (const listener of listeners.splice(0)) listener()
    },
  })
  const next = (type: M3terAuthEvent['type'], since = events.length) =>
    new Promise<M3terAuthEvent>((resolve) => {
      const check = () => {
        const found = events.slice(since).find((e) => e.type === type)
        if (found) resolve(found)
        else listeners.push(check)
      }
      check()
    })
  return {
    m3ter,
    clock,
    auth,
    events,
    next,
    close: async () => {
      await auth.close()
      await m3ter.close()
    },
  }
}

/** Settles a promise into a value or its error, for assertions without try/catch. */
export async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise }
  } catch (error) {
    return { error }
  }
}

/** Everything a user could print about a value: message, JSON and util.inspect. */
export function printed(value: unknown): string {
  const message = value instanceof Error ? `${value.message} ${String(value.stack)}` : ''
  let json = ''
  try {
    json = JSON.stringify(value) ?? ''
  } catch {}
  return `${message}\n${json}\n${inspect(value, { depth: 8, showHidden: true })}`
}

/**
 * Yields to real I/O (loopback sockets) until `condition` holds. Time on the manual clock does not move;
 * this only lets the request that a test is waiting for reach the mock. Fails after 20 000 turns.
 */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 20_000; turn++) {
    if (condition()) return
    await new Promise((resolve) => setImmediate(resolve))
  }
  throw new Error(`gave up waiting until ${what}`)
}
