import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// One launcher for the Redis store's tests and the fleet benchmark (which runs on plain Node, hence
// JavaScript; the types are in redis-server.d.mts).

/** The redis-server binary: Debian's on PATH unless REDIS_SERVER names another. */
export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server'

/**
 * A Lua script that ages Redis by ARGV[1] ms in one step: every key with a TTL loses that much of it, and one
 * with no more left goes. Tests and the fleet benchmark drive their fleets on a manual clock, while Redis
 * keeps TTLs on real time (which barely moves while the fleet's time jumps hours). It answers the commands
 * it ran, in the order of AGE_COMMANDS, so that counts of the members' commands can leave them out.
 */
export const AGE_SCRIPT = `local ms = tonumber(ARGV[1])
local ran = {1, 1, 0, 0, 0}
for _, key in ipairs(redis.call('KEYS', '*')) do
  local left = redis.call('PTTL', key)
  ran[3] = ran[3] + 1
  if left > 0 then
    if left <= ms then redis.call('DEL', key); ran[5] = ran[5] + 1
    else redis.call('PEXPIRE', key, left - ms); ran[4] = ran[4] + 1 end
  end
end
return ran`

/** The commands AGE_SCRIPT counts, in the order of its answer. */
export const AGE_COMMANDS = ['eval', 'keys', 'pttl', 'pexpire', 'del']

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
