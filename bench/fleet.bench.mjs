// The fleet figures of @m3ter-auth/redis, from one run against a real redis-server:
// 1. token requests per token lifetime for fleets of N = 1, 5, 20 processes, without and with the Redis
//    store (target with it: 1), counted by the mock m3ter over three lifetimes on a shared manual clock;
// 2. the time a cold fleet takes until every process has a token (real clock, wall time);
// 3. the cost of a request with a fresh token with the store against without it, interleaved rounds in one
//    process (target: the same, since the hot path never calls Redis).
// Run: node bench/fleet.bench.mjs (after a build; needs redis-server on PATH). Exits non-zero on a miss.
import { fork } from 'node:child_process'
import { createTokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { createRedisStore } from '@m3ter-auth/redis'
import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'
import Redis from 'ioredis'
// The Redis store's own test launcher: a server on a free loopback port, nothing saved to disk.
import { AGE_SCRIPT, startRedisServer } from '../packages/redis/test/redis-server.mjs'

const SIZES = [1, 5, 20]
const LIFETIMES = 3
const member = new URL('./fleet-member.mjs', import.meta.url).pathname
let failed = false
const report = (ok, line) => {
  failed ||= !ok
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${line}`)
}

const redis = await startRedisServer()
const admin = new Redis(redis.url)

console.log(
  `fleet of N processes, ${LIFETIMES} token lifetimes each (mock m3ter, redis-server ${redis.version})`,
)
console.log('N    store   token requests/lifetime   cold fleet until all have a token (token requests)')
const rows = []
for (const size of SIZES) {
  for (const withStore of [false, true]) {
    await admin.flushall()
    const perLifetime = await lifetimes(size, withStore)
    await admin.flushall()
    const cold = await coldStart(size, withStore)
    rows.push({ size, withStore, perLifetime })
    console.log(
      `${String(size).padEnd(4)} ${(withStore ? 'redis' : 'none').padEnd(7)} ${perLifetime.toFixed(2).padStart(22)}   ${cold.ms.toFixed(0).padStart(8)} ms (${cold.tokenRequests})`,
    )
  }
}
for (const { size, withStore, perLifetime } of rows) {
  const target = withStore ? 1 : size
  report(
    perLifetime === target,
    `N=${size} ${withStore ? 'with' : 'without'} the store: ${perLifetime} token request(s) per lifetime (expected ${target})`,
  )
}

await hotPath()
admin.disconnect()
await redis.stop()
process.exit(failed ? 1 : 0)

/** Token requests per lifetime: the fleet on one manual clock, moved over IPC, three lifetimes. */
async function lifetimes(size, withStore) {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const fleet = await spawnFleet(size, { m3ter, manual: true, startAt: clock.now(), withStore })
  const advanceTo = async (to) => {
    // Redis keeps each token's remaining lifetime as a TTL on its own (real) clock, which barely moves while
    // the fleet's manual clock jumps hours: age every TTL by as much, as the Redis fleet test does.
    // Everything in flight lands first: a write still on its way would be made at the old instant after the
    // aging and keep the step's time it should have lost; its token, read back, looked that much younger
    // (a lone member then took it as fresh at its refresh point: 2 token requests over 3 lifetimes).
    if (withStore && to > clock.now()) {
      await fleet.all({ type: 'settle' })
      await admin.eval(AGE_SCRIPT, 0, String(Math.floor(to - clock.now())))
    }
    const statuses = await fleet.all({ type: 'advance', to })
    await clock.advanceTo(to)
    return statuses
  }
  let statuses = []
  for (let life = 0; life < LIFETIMES; life++) {
    if (life > 0) statuses = await advanceTo(Math.max(...statuses.map((s) => s.refreshAt)))
    let answered = false
    const demanded = fleet.all({ type: 'demand' }).then(() => {
      answered = true
    })
    for (let step = 0; !answered || !statuses.every((s) => s.status === 'fresh'); step++) {
      if (step > 5_000) throw new Error('the fleet did not settle')
      statuses = await advanceTo(clock.now() + 100)
    }
    await demanded
  }
  const perLifetime = m3ter.stats.tokenRequests / LIFETIMES
  await fleet.close()
  await m3ter.close()
  return perLifetime
}

/**
 * Wall time from "go" until every process of a cold fleet holds a token (real clock, real polling), and
 * the token requests it took. Informational: on a starved machine store calls can exceed their budget
 * (500 ms) and members then fetch for themselves, by design; the per-lifetime counts above are the check.
 */
async function coldStart(size, withStore) {
  const m3ter = await startMockM3ter()
  const fleet = await spawnFleet(size, { m3ter, manual: false, withStore })
  const started = performance.now()
  await fleet.all({ type: 'token' })
  const ms = performance.now() - started
  const tokenRequests = m3ter.stats.tokenRequests
  await fleet.close()
  await m3ter.close()
  return { ms, tokenRequests }
}

/** getToken() and a request through the fetch adapter with a fresh token, with the store and without. */
async function hotPath() {
  const m3ter = await startMockM3ter()
  const client = new Redis(redis.url)
  const base = { credentials: m3ter.keys[0], tokenUrl: m3ter.tokenUrl, scope: [m3ter.apiUrl] }
  const plain = createTokenProvider(base)
  let released
  const written = new Promise((resolve) => {
    released = resolve
  })
  // The lease goes after the token write: from then on the store has nothing left to do.
  const onEvent = (event) => event.type === 'lease_released' && released()
  const shared = createTokenProvider({ ...base, store: createRedisStore({ client, onEvent }) })
  await plain.getToken()
  await shared.getToken()
  await written
  const answer = new Response(null, { status: 204 })
  const noNetwork = async () => answer
  const url = `${m3ter.apiUrl}/organizations/${m3ter.orgId}/meters`
  await admin.config('RESETSTAT')
  for (const [what, calls, make] of [
    ['getToken()', 200_000, (auth) => () => auth.getToken()],
    [
      'a request through withM3terAuth (fetch answers at once)',
      50_000,
      (auth) => withM3terAuth(auth, noNetwork).bind(null, url),
    ],
  ]) {
    const a = make(plain)
    const b = make(shared)
    const time = async (fn) => {
      const started = performance.now()
      for (let i = 0; i < calls; i++) await fn()
      return performance.now() - started
    }
    await time(a)
    await time(b)
    const ratios = []
    let nsWithout = 0
    let nsWith = 0
    for (let round = 0; round < 11; round++) {
      const [first, second] = round % 2 ? [a, b] : [b, a]
      const t1 = await time(first)
      const t2 = await time(second)
      const [tWithout, tWith] = first === a ? [t1, t2] : [t2, t1]
      ratios.push(tWith / tWithout)
      nsWithout += (tWithout * 1e6) / calls / 11
      nsWith += (tWith * 1e6) / calls / 11
    }
    ratios.sort((x, y) => x - y)
    const ratio = ratios[ratios.length >> 1]
    report(
      ratio <= 1.5,
      `${what} with a fresh token: ${nsWith.toFixed(0)} ns with the store, ${nsWithout.toFixed(0)} ns without; median ratio ${ratio.toFixed(2)} (target ~1, fails above 1.5; rounds ${ratios[0].toFixed(2)}..${ratios.at(-1).toFixed(2)})`,
    )
  }
  const info = await admin.info('commandstats')
  const commands = [...info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].filter(
    (m) => !['info', 'config'].includes(m[1]),
  )
  report(
    commands.length === 0,
    `Redis commands during the hot-path rounds: ${commands.length === 0 ? 'none' : commands.map((m) => `${m[1]}=${m[2]}`).join(' ')}`,
  )
  await plain.close()
  await shared.close()
  client.disconnect()
  await m3ter.close()
}

async function spawnFleet(size, { m3ter, manual, startAt, withStore }) {
  const children = []
  let nextId = 0
  const pending = new Map()
  await Promise.all(
    Array.from({ length: size }, (_, index) => {
      const config = {
        manual,
        startAt,
        redisUrl: withStore ? redis.url : undefined,
        credentials: m3ter.keys[0],
        tokenUrl: m3ter.tokenUrl,
        apiUrl: m3ter.apiUrl,
      }
      const child = fork(member, [], { env: { ...process.env, FLEET_MEMBER: JSON.stringify(config) } })
      children.push(child)
      return new Promise((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`member ${index} exited (${code})`)))
        child.on('message', (message) => {
          if (message.hello) resolve()
          else {
            pending.get(message.id)?.(message.value)
            pending.delete(message.id)
          }
        })
      })
    }),
  )
  // A member that dies fails the bench at once instead of leaving it waiting for an answer forever.
  const ask = (child, message) =>
    new Promise((resolve, reject) => {
      const id = ++nextId
      const died = (code) => reject(new Error(`member exited (${code}) while asked to ${message.type}`))
      child.once('exit', died)
      pending.set(id, (value) => {
        child.off('exit', died)
        resolve(value)
      })
      child.send({ ...message, id })
    })
  return {
    all: (message) => Promise.all(children.map((child) => ask(child, message))),
    async close() {
      await Promise.all(
        children.map(async (child) => {
          child.removeAllListeners('exit')
          const exited = new Promise((resolve) => child.once('exit', resolve))
          await ask(child, { type: 'close' })
          await exited
        }),
      )
    },
  }
}
