import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A redis-server of our own on a loopback port: no daemon config, nothing saved to disk. */
export interface RedisServer {
  readonly port: number
  readonly url: string
  /** The running server's pid. */
  readonly pid: number
  /** SIGKILL, as a crash would: nothing flushed, every connection cut. */
  kill(): Promise<void>
  /** Starts a fresh, empty server on the same port (after `kill`). */
  restart(): Promise<void>
  stop(): Promise<void>
}

/** Whether Debian's redis-server is on PATH (CI installs it; a test that needs it fails without). */
export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server'

/** A free loopback port: bind port 0, read it, let it go. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

function launch(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      // Keyspace events let a test wait for a key to go (a lease deleted or expired) without sleeping.
      '--notify-keyspace-events',
      'KEgx$',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData)
        child.stdout?.resume()
        resolve(child)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output.slice(-500)}`)))
  })
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/**
 * Starts redis-server on a free loopback port and resolves once it accepts connections.
 *
 * @example
 * ```ts
 * const redis = await startRedisServer()
 * const client = new Redis(redis.port, '127.0.0.1')
 * await redis.stop()
 * ```
 */
export async function startRedisServer(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'm3ter-auth-redis-'))
  const port = await freePort()
  let child = await launch(port, dir)
  const stopWith = async (signal: NodeJS.Signals) => {
    const done = exited(child)
    if (child.pid) process.kill(child.pid, signal)
    await done
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid ?? -1
    },
    kill: () => stopWith('SIGKILL'),
    async restart() {
      child = await launch(port, dir)
    },
    async stop() {
      await stopWith('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
