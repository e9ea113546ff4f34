import { type ChildProcess, fork } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ManualClock, MockM3ter } from '@m3ter-auth/testkit'
import { build } from 'esbuild'
import type { ClientName } from './clients.ts'
import type { BurstResult, FromMember, MemberConfig, MemberStatus, ToMember } from './fleet-child.ts'

const here = fileURLToPath(new URL('.', import.meta.url))
const packages = fileURLToPath(new URL('../../', import.meta.url))
// Inside the package's node_modules, so the bundle's imports of the Redis clients resolve as the package's.
const outDir = fileURLToPath(new URL('../node_modules/.cache/m3ter-auth-fleet/', import.meta.url))

/**
 * Bundles the member script with the workspace's sources (as vitest runs them), leaving the Redis clients
 * to be loaded from node_modules. Plain Node then runs it: no TypeScript loader in the children.
 */
export async function buildMember(): Promise<string> {
  mkdirSync(outDir, { recursive: true })
  // One file per test process: runs on several Node lines at once must not rebuild each other's member.
  const outfile = `${outDir}member-${process.pid}.mjs`
  await build({
    entryPoints: [`${here}fleet-child.ts`],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    external: ['ioredis', 'ioredis-6', 'redis', 'redis-4', 'redis-5', 'undici'],
    // esbuild takes an exact key before a package's: the unstable subpath resolves to its own entry.
    alias: {
      ...Object.fromEntries(
        ['core', 'fetch', 'testkit'].map((name) => [
          `@m3ter-auth/${name}`,
          `${packages}${name}/src/index.ts`,
        ]),
      ),
      '@m3ter-auth/core/internals': `${packages}core/src/internals.ts`,
    },
  })
  return outfile
}

const started = Date.now()
/** Progress on stderr with M3TER_FLEET_DEBUG=1: where a slow run spends its time. */
export function debug(what: string): void {
  if (process.env.M3TER_FLEET_DEBUG) console.error(`[fleet +${Date.now() - started} ms] ${what}`)
}

/** One store or core event a member reported. */
export interface MemberEvent {
  readonly member: number
  readonly source: 'core' | 'store'
  readonly event: { readonly type: string; readonly [field: string]: unknown }
}

/** Options of {@link startFleet}. */
export interface FleetOptions {
  readonly script: string
  readonly size: number
  /** Member i uses clients[i % clients.length]: a fleet may mix libraries and majors, as during an upgrade. */
  readonly clients: readonly ClientName[]
  readonly redisUrl: string
  readonly m3ter: MockM3ter
  /** The mock's clock: the fleet's time. Members follow it when told to. */
  readonly clock: ManualClock
  readonly prefix: string
  readonly encryptionKey?: string
  readonly timeoutMs?: number
  /** Latency of the token endpoint on the members' clocks (each token request waits it first). */
  readonly tokenLatencyMs?: number
  /**
   * Runs before the fleet's time moves by `ms`: Redis keeps TTLs on its own (real) clock, so a test whose
   * time jumps hours ages Redis's keys by as much, or stored tokens would never get old.
   */
  readonly beforeAdvance?: (ms: number) => Promise<void>
}

interface Member {
  readonly index: number
  readonly process: ChildProcess
  readonly pending: Map<number, (value: unknown) => void>
  alive: boolean
  last: MemberStatus | undefined
}

/** A fleet of member processes, driven by the parent's clock. */
export interface Fleet {
  readonly events: MemberEvent[]
  /** Members still running. */
  readonly alive: number
  /** Moves every member's clock and the mock's to `to`, each member first finishing its real I/O. */
  advanceTo(to: number): Promise<MemberStatus[]>
  /** Sends `size` concurrent requests from every member through the fetch adapter. */
  burst(size: number, tag: string): Promise<BurstResult[]>
  /** Moves time in steps of `stepMs` until `done()`; fails after `maxSteps`. */
  runUntil(done: (statuses: MemberStatus[]) => boolean, stepMs?: number, maxSteps?: number): Promise<void>
  ask(type: 'down' | 'up' | 'status'): Promise<unknown[]>
  /** Resolves at the first event (from now on, or already seen after `since`) that matches. */
  next(match: (event: MemberEvent) => boolean, since?: number): Promise<MemberEvent>
  /** SIGKILL, as a crash would. */
  kill(index: number): Promise<void>
  close(): Promise<void>
}

/**
 * Starts `size` member processes sharing one Redis and one mock m3ter.
 *
 * Time: the parent's manual clock drives the mock; each member has a manual clock of its own, moved over
 * IPC to the parent's instant. A member moves only once its store calls and token requests have settled,
 * so the fleet's clock never outruns real I/O (a Redis reply never looks like a timeout).
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const { m3ter, clock } = options
  const key = m3ter.keys[0]!
  const events: MemberEvent[] = []
  let listeners: Array<() => void> = []
  let nextId = 0
  const members: Member[] = []
  const hellos: Promise<void>[] = []
  for (let index = 0; index < options.size; index++) {
    const config: MemberConfig = {
      index,
      client: options.clients[index % options.clients.length]!,
      redisUrl: options.redisUrl,
      prefix: options.prefix,
      encryptionKey: options.encryptionKey,
      startAt: clock.now(),
      timeoutMs: options.timeoutMs ?? 10_000,
      tokenLatencyMs: options.tokenLatencyMs ?? 0,
      tokenUrl: m3ter.tokenUrl,
      apiUrl: m3ter.apiUrl,
      orgId: m3ter.orgId,
      credentials: { accessKeyId: key.accessKeyId, apiSecret: key.apiSecret },
    }
    const child = fork(options.script, [], {
      env: { ...process.env, FLEET_MEMBER: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const member: Member = { index, process: child, pending: new Map(), alive: true, last: undefined }
    members.push(member)
    hellos.push(
      new Promise((resolve, reject) => {
        child.once('exit', (code) => {
          member.alive = false
          // A member that dies answers nothing more: what it was asked settles empty.
          for (const answer of member.pending.values()) answer(undefined)
          member.pending.clear()
          reject(new Error(`member ${index} exited (${code}) before it started`))
        })
        child.on('message', (message: FromMember) => {
          if (message.type === 'hello') resolve()
          else if (message.type === 'answer') {
            member.pending.get(message.id)?.(message.value)
            member.pending.delete(message.id)
          } else {
            events.push({
              member: index,
              source: message.source,
              event: message.event as MemberEvent['event'],
            })
            for (const listener of listeners) listener()
          }
        })
      }),
    )
  }
  await Promise.all(hellos)
  debug(`${options.size} members started`)

  const live = () => members.filter((m) => m.alive)
  const request = (member: Member, message: Omit<ToMember, 'id'>): Promise<unknown> => {
    const id = ++nextId
    return new Promise((resolve) => {
      member.pending.set(id, resolve)
      member.process.send({ ...message, id })
    })
  }
  const all = (message: Omit<ToMember, 'id'>) => Promise.all(live().map((m) => request(m, message)))

  const advanceTo = async (to: number) => {
    if (to > clock.now() && options.beforeAdvance) {
      // Everything in flight lands before the hook runs: a store write still on its way would otherwise be
      // made at the old instant after the hook aged the store, and keep the step's time it should have lost
      // (a token read back later looked that much younger than it is).
      await all({ type: 'settle' })
      await options.beforeAdvance(to - clock.now())
    }
    const statuses = (await Promise.all(
      live().map(async (m) => {
        m.last = (await request(m, { type: 'advance', to } as Omit<ToMember, 'id'>)) as MemberStatus
        return m.last
      }),
    )) as MemberStatus[]
    await clock.advanceTo(to)
    return statuses
  }

  return {
    events,
    get alive() {
      return live().length
    },
    advanceTo,
    burst: async (size, tag) =>
      (
        (await all({ type: 'burst', size, tag } as Omit<ToMember, 'id'>)) as (BurstResult | undefined)[]
      ).filter((r): r is BurstResult => r !== undefined),
    async runUntil(done, stepMs = 100, maxSteps = 2_000) {
      let statuses = (await all({ type: 'status' })) as MemberStatus[]
      let step = 0
      for (; !done(statuses); step++) {
        if (step >= maxSteps) throw new Error(`the fleet did not settle in ${maxSteps} steps`)
        statuses = await advanceTo(clock.now() + stepMs)
      }
      debug(`settled after ${step} steps`)
    },
    ask: (type) => all({ type }),
    next(match, since = events.length) {
      return new Promise((resolve) => {
        const check = () => {
          const found = events.slice(since).find(match)
          if (!found) return false
          listeners = listeners.filter((l) => l !== check)
          resolve(found)
          return true
        }
        if (!check()) listeners.push(check)
      })
    },
    async kill(index) {
      const member = members[index]!
      const exited = new Promise((resolve) => member.process.once('exit', resolve))
      member.process.kill('SIGKILL')
      await exited
      member.alive = false
    },
    async close() {
      await Promise.all(
        live().map(async (m) => {
          const exited = new Promise((resolve) => m.process.once('exit', resolve))
          await request(m, { type: 'close' })
          await exited
        }),
      )
    },
  }
}
