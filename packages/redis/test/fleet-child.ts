// One member of a test fleet: its own process, its own Redis client, its own provider and fetch adapter.
// The parent owns the mock m3ter and the time: this process's manual clock moves only when the parent says
// so, and only once everything this member started on real I/O (store calls, token requests) has settled.
import { createTokenProvider } from '@m3ter-auth/core'
import { storeKeyOf } from '@m3ter-auth/core/internals'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { createManualClock } from '@m3ter-auth/testkit'
import { Agent, fetch as undiciFetch } from 'undici'
import { createRedisStore } from '../src/index.ts'
import { CLIENTS, type ClientName } from './clients.ts'
import { createQuiet } from './quiet.ts'

/** What the parent passes in `FLEET_MEMBER` (JSON). */
export interface MemberConfig {
  readonly index: number
  readonly client: ClientName
  readonly redisUrl: string
  readonly prefix: string
  readonly encryptionKey: string | undefined
  readonly startAt: number
  readonly timeoutMs: number
  /** The token endpoint's latency on this member's clock; 0 for none. */
  readonly tokenLatencyMs: number
  readonly tokenUrl: string
  readonly apiUrl: string
  readonly orgId: string
  readonly credentials: { readonly accessKeyId: string; readonly apiSecret: string }
}

/** Messages from the parent; each carries an id that the answer repeats. */
export type ToMember =
  | { readonly id: number; readonly type: 'advance'; readonly to: number }
  | { readonly id: number; readonly type: 'settle' }
  | { readonly id: number; readonly type: 'burst'; readonly size: number; readonly tag: string }
  | { readonly id: number; readonly type: 'down' | 'up' | 'status' | 'close' }

/** Answers and events to the parent. */
export type FromMember =
  | { readonly type: 'hello'; readonly index: number }
  | { readonly type: 'answer'; readonly id: number; readonly value: unknown }
  | { readonly type: 'event'; readonly source: 'core' | 'store'; readonly event: unknown }

/** What a burst of requests came to: statuses by count, and the messages of any errors. */
export interface BurstResult {
  readonly statuses: Record<number, number>
  readonly errors: string[]
}

/** A member's state, for the parent to decide when time may move and when a phase is over. */
export interface MemberStatus {
  readonly status: string
  readonly generation: number
  readonly storeCalls: Record<string, number>
  readonly redisReady: boolean
}

const config = JSON.parse(process.env.FLEET_MEMBER ?? '{}') as MemberConfig
const send = (message: FromMember) => process.send?.(message)
const clock = createManualClock(config.startAt)
const quiet = createQuiet()
const connected = await CLIENTS[config.client].connect(config.redisUrl)
// At most 8 connections to each origin, each used for one request: every request still asks the provider
// for a token at the same moment (that is what is under test), but 20 members × 100 sockets on 2 busy cores
// would test the kernel's backlog, and a pooled connection that the mock's idle timer closes just as it is
// reused fails a request for reasons that have nothing to do with tokens.
const dispatcher = new Agent({ connections: 8, pipelining: 0 })
const transport = ((input: string | URL | Request, init?: RequestInit) =>
  undiciFetch(input as never, { ...(init as object), dispatcher })) as unknown as typeof globalThis.fetch
const store = createRedisStore({
  client: connected.client,
  prefix: config.prefix,
  encryptionKey: config.encryptionKey,
  clock,
  onEvent: (event) => send({ type: 'event', source: 'store', event }),
})
const auth = createTokenProvider({
  credentials: config.credentials,
  tokenUrl: config.tokenUrl,
  scope: [config.apiUrl],
  clock,
  timeoutMs: config.timeoutMs,
  fetch: slowTokenEndpoint(quiet.fetch(transport)),
  store: quiet.store(store),
  onEvent: (event) => send({ type: 'event', source: 'core', event }),
})
const api = withM3terAuth(auth, transport)

/**
 * A token endpoint `tokenLatencyMs` away on this member's clock: the wait is time, not I/O, so it is not
 * tracked (the fleet's time moves through it); the request itself is.
 */
function slowTokenEndpoint(fetch: typeof globalThis.fetch): typeof globalThis.fetch {
  const latency = config.tokenLatencyMs
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (!latency || !url.startsWith(config.tokenUrl)) return fetch(input, init)
    const signal = init?.signal
    return new Promise((resolve, reject) => {
      const abort = () => {
        clock.clearTimeout(timer)
        reject(signal?.reason)
      }
      const timer = clock.setTimeout(() => {
        signal?.removeEventListener('abort', abort)
        fetch(input, init).then(resolve, reject)
      }, latency)
      signal?.addEventListener('abort', abort, { once: true })
    })
  }
}

async function burst(size: number, tag: string): Promise<BurstResult> {
  const statuses: Record<number, number> = {}
  const errors: string[] = []
  // Unique URLs, so that the mock counts a retry only when this very request is sent again.
  const url = (i: number) =>
    `${config.apiUrl}/organizations/${config.orgId}/echo?member=${config.index}&burst=${tag}&i=${i}`
  await Promise.all(
    Array.from({ length: size }, async (_, i) => {
      try {
        const res = await api(url(i))
        await res.arrayBuffer()
        statuses[res.status] = (statuses[res.status] ?? 0) + 1
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } })?.cause
        errors.push(
          `${(error as Error)?.message ?? error}${cause ? ` (${cause.code ?? cause.message})` : ''}`,
        )
      }
    }),
  )
  return { statuses, errors }
}

function status(): MemberStatus {
  const { status, generation } = auth.snapshot()
  return { status, generation, storeCalls: { ...quiet.calls }, redisReady: connected.ready() }
}

async function handle(message: ToMember): Promise<unknown> {
  switch (message.type) {
    case 'settle':
      await quiet.idle()
      return null
    case 'advance':
      await quiet.idle()
      await clock.advanceTo(message.to)
      await quiet.idle()
      return status()
    case 'burst':
      return burst(message.size, message.tag)
    case 'down':
      return connected.whenDown()
    case 'up':
      return connected.whenReady()
    case 'status':
      return status()
    case 'close':
      await auth.close()
      await connected.close()
      await dispatcher.close()
      setImmediate(() => process.exit(0))
      return undefined
  }
}

process.on('message', (message: ToMember) => {
  handle(message).then(
    (value) => send({ type: 'answer', id: message.id, value: value ?? null }),
    (error) => send({ type: 'answer', id: message.id, value: { error: String(error) } }),
  )
})
// Core derives the store key (PBKDF2, real milliseconds) inside an attempt timed on the manual clock, which
// the parent moves whenever nothing is in flight: derived and cached before the first attempt.
await storeKeyOf(config.tokenUrl, config.credentials)
send({ type: 'hello', index: config.index })
