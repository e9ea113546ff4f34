import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// One launcher for the Redis store's tests and the fleet benchmark (which runs on plain Node, hence
// JavaScript; the types are in redis-server.d.mts).

/** The redis-server binary: Debian's on PATH unless REDIS_SERVER names another. */
export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server'

/** A free loopback port: bind port 0, read it, let it go. */
async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** Resolves with the child and the server's version once it accepts connections. */
function launch(port, dir) {
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
    const onData = (chunk) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData)
        child.stdout?.resume()
        resolve({ child, version: /version=([\d.]+)/.exec(output)?.[1] ?? '?' })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk) => {
      output += chunk.toString()
    })
    child.once('error', () =>
      reject(
        new Error(`${REDIS_SERVER} could not start: apt-get install -y redis-server, or set REDIS_SERVER`),
      ),
    )
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output.slice(-500)}`)))
  })
}

function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/**
 * Starts redis-server on a free loopback port and resolves once it accepts connections.
 *
 * @example
 * ```ts
 * const redis = await startRedisServer()
 * const client = new Redis(redis.url)
 * await redis.stop()
 * ```
 */
export async function startRedisServer() {
  const dir = mkdtempSync(join(tmpdir(), 'm3ter-auth-redis-'))
  const port = await freePort()
  let { child, version } = await launch(port, dir)
  const stopWith = async (signal) => {
    const done = exited(child)
    if (child.pid) process.kill(child.pid, signal)
    await done
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get version() {
      return version
    },
    get pid() {
      return child.pid ?? -1
    },
    kill: () => stopWith('SIGKILL'),
    async restart() {
      ;({ child, version } = await launch(port, dir))
    },
    async stop() {
      await stopWith('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
