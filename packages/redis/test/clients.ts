import type { RedisClient } from '../src/index.ts'

/** A connected client of one library and major, and what a test needs to drive it. */
export interface Connected {
  readonly client: RedisClient
  /** True while the client would send a command at once. */
  ready(): boolean
  /** Resolves once the client is connected again (after a Redis restart). */
  whenReady(): Promise<void>
  /** Resolves once the client has noticed that its connection is gone. */
  whenDown(): Promise<void>
  close(): Promise<void>
}

/** One of the clients the store supports. */
export interface ClientKind {
  readonly name: ClientName
  connect(url: string): Promise<Connected>
}

export type ClientName = 'ioredis 5' | 'ioredis 6' | 'node-redis 4' | 'node-redis 5' | 'node-redis 6'

interface IoRedisClient {
  status: string
  once(event: string, listener: () => void): unknown
  on(event: string, listener: (error: unknown) => void): unknown
  disconnect(): void
}

type IoRedisClass = new (url: string) => unknown

// Each library with its own defaults (offline queue on): the store must not rely on the user's options.
// Loaded when first used, so a fleet member process loads only the one it runs.
function ioredis(name: ClientName, load: () => Promise<{ default: unknown }>): ClientKind {
  return {
    name,
    async connect(url) {
      const Redis = (await load()).default as IoRedisClass
      const client = new Redis(url) as IoRedisClient
      client.on('error', () => {}) // reconnects are expected in these tests
      const whenReady = () =>
        client.status === 'ready' ? Promise.resolve() : new Promise<void>((r) => client.once('ready', r))
      const whenDown = () =>
        client.status !== 'ready' ? Promise.resolve() : new Promise<void>((r) => client.once('close', r))
      await whenReady()
      return {
        client: client as unknown as RedisClient,
        ready: () => client.status === 'ready',
        whenReady,
        whenDown,
        close: async () => client.disconnect(),
      }
    },
  }
}

interface NodeRedisClient {
  isReady: boolean
  connect(): Promise<unknown>
  once(event: string, listener: () => void): unknown
  on(event: string, listener: (error: unknown) => void): unknown
  disconnect(): Promise<void>
}

type CreateClient = (options: { url: string }) => unknown

function nodeRedis(name: ClientName, load: () => Promise<{ createClient: unknown }>): ClientKind {
  return {
    name,
    async connect(url) {
      const createClient = (await load()).createClient as CreateClient
      const client = createClient({ url }) as NodeRedisClient
      client.on('error', () => {})
      await client.connect()
      return {
        client: client as unknown as RedisClient,
        ready: () => client.isReady,
        whenReady: () =>
          client.isReady ? Promise.resolve() : new Promise<void>((r) => client.once('ready', r)),
        whenDown: () =>
          !client.isReady
            ? Promise.resolve()
            : new Promise<void>((r) => {
                for (const event of ['error', 'end', 'reconnecting']) client.once(event, () => r())
              }),
        close: () => client.disconnect().catch(() => {}),
      }
    },
  }
}

export const CLIENTS: Record<ClientName, ClientKind> = {
  'ioredis 5': ioredis('ioredis 5', () => import('ioredis')),
  'ioredis 6': ioredis('ioredis 6', () => import('ioredis-6')),
  'node-redis 4': nodeRedis('node-redis 4', () => import('redis-4')),
  'node-redis 5': nodeRedis('node-redis 5', () => import('redis-5')),
  'node-redis 6': nodeRedis('node-redis 6', () => import('redis')),
}

export const CLIENT_NAMES = Object.keys(CLIENTS) as ClientName[]

/**
 * Clients that run the multi-process fleet scenarios (each is a few seconds of 2 cores): all, unless
 * M3TER_FLEET_CLIENTS names some. A name that is no client fails here, rather than run nothing for it.
 */
export const FLEET_CLIENTS = fleetClients(process.env.M3TER_FLEET_CLIENTS)

function fleetClients(setting: string | undefined): ClientName[] {
  if (setting === undefined) return CLIENT_NAMES
  const names = setting.split(',').map((name) => name.trim())
  const unknown = names.filter((name) => !CLIENT_NAMES.includes(name as ClientName))
  if (unknown.length > 0)
    throw new Error(
      `M3TER_FLEET_CLIENTS names no client: ${unknown.join(', ')} (clients: ${CLIENT_NAMES.join(', ')})`,
    )
  return names as ClientName[]
}
