// The broker in workerd (miniflare from npm, on Node 22): several Workers, each its own script and so its
// own isolate, bound to one broker namespace, serving concurrent requests against the mock m3ter.
//
// Time: the mock runs on the testkit's manual clock here in Node. Code in workerd cannot share that object,
// so every request the test sends carries the clock's time (`x-test-now`) and each Worker's own manual clock
// catches up to it (tests/runtimes/src/manual-clock.js, shared with the runtime suite); the broker's Worker
// is told the time the same way before each round. Between rounds nothing is in flight, so all clocks agree
// whenever anyone reads them. Hours of token lifetime pass without anyone waiting; tokens are the mock's real
// five-hour ones.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createManualClock, type MockM3ter, startMockM3ter } from '@m3ter-auth/testkit'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const here = fileURLToPath(new URL('.', import.meta.url))
const LIFETIME_MS = 5 * 60 * 60 * 1000
// Past the refresh point of any token (expiry - skew - window - jitter) and before its expiry.
const PAST_REFRESH_MS = LIFETIME_MS - 3 * 60 * 1000
const MEMBERS = [
  { name: 'member-a', perRequest: false },
  { name: 'member-b', perRequest: false },
  // A provider made per request: only the store's copy in the isolate keeps it off the broker.
  { name: 'member-c', perRequest: true },
] as const
const CONCURRENCY = 8

/** A Worker script as wrangler would bundle it, with the built packages (never the sources). */
async function bundle(file: string): Promise<string> {
  const result = await build({
    entryPoints: [file.startsWith('/') ? file : join(here, 'workers', file)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'import'],
    nodePaths: [join(here, '../node_modules')],
    alias: { '@m3ter-auth/cloudflare': join(here, '../dist/index.js') },
    write: false,
    logLevel: 'error',
  })
  const [output] = result.outputFiles
  if (!output) throw new Error(`esbuild gave no output for ${file}`)
  return output.text
}

let scripts: Record<'broker' | 'broken' | 'member', string>
beforeAll(async () => {
  const [broker, broken, member] = await Promise.all(
    ['broker.js', 'broken-broker.js', 'fleet-member.js'].map(bundle),
  )
  scripts = { broker: broker ?? '', broken: broken ?? '', member: member ?? '' }
})

interface Answer {
  status: number
  generation: number
  events: string[]
}

interface FleetOptions {
  broker: 'real' | 'broken' | 'none'
  persist?: string
  brokerBindings?: Record<string, string>
}

/** The fleet on one workerd: the broker's Worker and the members, all bound to one namespace. */
async function startFleet(m3ter: MockM3ter, clock: { now(): number }, options: FleetOptions) {
  const key = m3ter.keys[0]
  if (!key) throw new Error('the mock has no key')
  const env = {
    M3TER_API_KEY: key.accessKeyId,
    M3TER_API_SECRET: key.apiSecret,
    M3TER_ORG_ID: m3ter.orgId,
    M3TER_BASE_URL: m3ter.apiUrl,
    M3TER_TOKEN_URL: m3ter.tokenUrl,
  }
  const namespace = { className: 'M3terTokenBroker', scriptName: 'broker' }
  const mf = new Miniflare({
    ...(options.persist ? { durableObjectsPersist: options.persist } : {}),
    workers: [
      {
        name: 'broker',
        modules: true,
        script: options.broker === 'broken' ? scripts.broken : scripts.broker,
        compatibilityDate: '2025-09-01',
        bindings: { ...env, ...options.brokerBindings },
        durableObjects: { M3TER_TOKENS: 'M3terTokenBroker' },
      },
      ...MEMBERS.map((member) => ({
        name: member.name,
        modules: true,
        script: scripts.member,
        compatibilityDate: '2025-09-01',
        bindings: {
          ...env,
          ...(member.perRequest ? { PER_REQUEST: '1' } : {}),
          ...(options.broker === 'none' ? { NO_BROKER: '1' } : {}),
        },
        durableObjects: { M3TER_TOKENS: namespace },
      })),
    ],
  })
  const send = async (worker: string) => {
    // miniflare's own Fetcher type clashes with the DOM lib's Request; its fetch is the plain one.
    const fetcher = (await mf.getWorker(worker)) as unknown as { fetch: typeof fetch }
    const res = await fetcher
      .fetch('http://worker/', { headers: { 'x-test-now': String(clock.now()) } })
      .catch((error: unknown) => {
        throw new Error(`${worker}: ${error}`)
      })
    return (await res.json()) as Answer & { calls: Record<string, number>; events: string[] }
  }
  return {
    /** Raw requests from a member to the broker, by the key they name (see fleet-member.js). */
    async raw(): Promise<Record<string, { status: number; body: string }>> {
      const fetcher = (await mf.getWorker(MEMBERS[0].name)) as unknown as { fetch: typeof fetch }
      const headers = { 'x-test-now': String(clock.now()), 'x-test-raw': '1' }
      return (await (await fetcher.fetch('http://worker/', { headers })).json()) as never
    },
    /** Tells the broker's Worker the time, and reads what the broker has served so far. */
    broker: () => send('broker'),
    /** CONCURRENCY requests at once on every member; the answers by member. */
    async round(): Promise<Record<string, Answer[]>> {
      await send('broker')
      const answers = await Promise.all(
        MEMBERS.map((m) => Promise.all(Array.from({ length: CONCURRENCY }, () => send(m.name)))),
      )
      return Object.fromEntries(MEMBERS.map((m, i) => [m.name, answers[i] ?? []]))
    },
    /**
     * A refresh a request started in the background (under waitUntil) may land after that request answered:
     * ask each member with a provider at module scope until it shows the generation expected (polling real
     * requests, not sleeping).
     */
    async settle(generation: number) {
      for (const m of MEMBERS.filter((x) => !x.perRequest)) {
        for (let i = 0; i < 200 && (await send(m.name)).generation < generation; i++);
      }
    },
    dispose: () => mf.dispose(),
  }
}

const statuses = (answers: Record<string, Answer[]>) =>
  Object.values(answers)
    .flat()
    .map((a) => a.status)
const events = (answers: Record<string, Answer[]>) => [
  ...new Set(
    Object.values(answers)
      .flat()
      .flatMap((a) => a.events),
  ),
]
const allOk = Array.from({ length: MEMBERS.length * CONCURRENCY }, () => 200)

/** Every file the broker's storage left on disk, as text: what an operator with the disk could read. */
function persisted(dir: string): string {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]))
  return walk(dir)
    .map((f) => readFileSync(f).toString('latin1'))
    .join('\n')
}

/** Token requests per lifetime for one workload: cold start, two refreshes ahead, then a revocation. */
async function workload(
  m3ter: MockM3ter,
  clock: ReturnType<typeof createManualClock>,
  options: FleetOptions,
) {
  const fleet = await startFleet(m3ter, clock, options)
  const perLifetime: number[] = []
  const brokerCalls: number[] = []
  const counted = async (step: () => Promise<void>) => {
    const before = m3ter.stats.tokenRequests
    const calls = (await fleet.broker()).calls.token ?? 0
    await step()
    perLifetime.push(m3ter.stats.tokenRequests - before)
    brokerCalls.push(((await fleet.broker()).calls.token ?? 0) - calls)
  }
  const seen: string[] = []
  try {
    for (let lifetime = 1; lifetime <= 3; lifetime++) {
      await counted(async () => {
        if (lifetime > 1) await clock.advance(PAST_REFRESH_MS)
        const answers = await fleet.round()
        expect(statuses(answers)).toEqual(allOk)
        seen.push(...events(answers))
        await fleet.settle(lifetime)
      })
    }
    m3ter.revokeAll()
    const revoked = m3ter.issuedTokens.length
    await counted(async () => {
      const answers = await fleet.round()
      // Every request was answered 403 once at most, then retried with the new token.
      expect(statuses(answers)).toEqual(allOk)
      seen.push(...events(answers))
    })
    return { perLifetime, brokerCalls, events: seen, revoked, fleet }
  } catch (error) {
    await fleet.dispose()
    throw error
  }
}

const figures: string[] = []
afterAll(() => {
  if (figures.length) console.log(`\ntoken requests for the same workload\n${figures.join('\n')}`)
})

describe('M3terTokenBroker in workerd: three Workers (separate isolates) bound to one broker', () => {
  it('one token request per lifetime for the whole fleet; a revocation costs one; a restarted broker none', {
    timeout: 180_000,
  }, async () => {
    const clock = createManualClock()
    const m3ter = await startMockM3ter({ clock })
    const persist = mkdtempSync(join(tmpdir(), 'm3ter-broker-'))
    try {
      const run = await workload(m3ter, clock, { broker: 'real', persist })
      await run.fleet.dispose()
      // Cold start, two refreshes ahead of expiry, and a revocation: one token request each for all of
      // them together, and one broker call per isolate per token (the per-request Worker included).
      expect(run.perLifetime).toEqual([1, 1, 1, 1])
      expect(run.brokerCalls.slice(0, 3)).toEqual([3, 3, 3])
      expect(run.events).toEqual([])

      // The whole workerd goes down and comes back (every isolate and the broker lose their memory); the
      // broker's storage still has the token, so nobody asks m3ter.
      const before = m3ter.stats.tokenRequests
      const restarted = await startFleet(m3ter, clock, { broker: 'real', persist })
      try {
        const answers = await restarted.round()
        expect(statuses(answers)).toEqual(allOk)
        expect(m3ter.stats.tokenRequests - before).toBe(0)
        expect((await restarted.broker()).calls.token).toBe(3)
      } finally {
        await restarted.dispose()
      }

      // What the storage holds on disk: the token, as it must to survive, and never the API secret.
      const disk = persisted(persist)
      expect(disk).not.toContain(m3ter.keys[0]?.apiSecret)
      expect(disk).toContain(m3ter.issuedTokens.at(-1))
      figures.push(
        `  with the broker:    ${run.perLifetime.slice(0, 3).join(', ')} per lifetime (3 lifetimes), revocation ${run.perLifetime[3]}, restart 0`,
      )
    } finally {
      rmSync(persist, { recursive: true, force: true })
      await m3ter.close()
    }
  })

  it('without the broker, the same workload costs one token request per isolate', {
    timeout: 180_000,
  }, async () => {
    const clock = createManualClock()
    const m3ter = await startMockM3ter({ clock })
    try {
      const run = await workload(m3ter, clock, { broker: 'none' })
      await run.fleet.dispose()
      // Two isolates with a provider at module scope fetch once per lifetime each; the one that makes a
      // provider per request fetches for every request.
      const perLifetime = 2 + CONCURRENCY
      expect(run.perLifetime).toEqual([perLifetime, perLifetime, perLifetime, perLifetime])
      figures.push(
        `  without the broker: ${run.perLifetime.slice(0, 3).join(', ')} per lifetime (3 lifetimes), revocation ${run.perLifetime[3]}` +
          ` (2 isolates with a provider at module scope, 1 making a provider per request, ${CONCURRENCY} requests each)`,
      )
    } finally {
      await m3ter.close()
    }
  })

  it('with the token encrypted at rest: nothing readable on disk, and a restart still costs no token request', {
    timeout: 120_000,
  }, async () => {
    const clock = createManualClock()
    const m3ter = await startMockM3ter({ clock })
    const persist = mkdtempSync(join(tmpdir(), 'm3ter-broker-'))
    const encryptionKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
    const brokerBindings = { M3TER_TOKEN_ENCRYPTION_KEY: encryptionKey }
    try {
      const fleet = await startFleet(m3ter, clock, { broker: 'real', persist, brokerBindings })
      try {
        expect(statuses(await fleet.round())).toEqual(allOk)
      } finally {
        await fleet.dispose()
      }
      const restarted = await startFleet(m3ter, clock, { broker: 'real', persist, brokerBindings })
      try {
        expect(statuses(await restarted.round())).toEqual(allOk)
      } finally {
        await restarted.dispose()
      }
      expect(m3ter.stats.tokenRequests).toBe(1)
      const disk = persisted(persist)
      expect(m3ter.issuedTokens).toHaveLength(1)
      for (const secret of [
        m3ter.issuedTokens[0],
        m3ter.keys[0]?.apiSecret,
        brokerBindings.M3TER_TOKEN_ENCRYPTION_KEY,
      ])
        expect(disk).not.toContain(secret)
      // The token's payload part too (a JWT's middle is base64 of JSON anyone could decode).
      expect(disk).not.toContain(m3ter.issuedTokens[0]?.split('.')[1])

      // Encryption turned off: the sealed value is of no use, so the broker says why and fetches once.
      const plain = await startFleet(m3ter, clock, { broker: 'real', persist })
      try {
        expect(statuses(await plain.round())).toEqual(allOk)
        expect((await plain.broker()).events).toEqual(['value_ignored encrypted'])
      } finally {
        await plain.dispose()
      }
      expect(m3ter.stats.tokenRequests).toBe(2)
    } finally {
      rmSync(persist, { recursive: true, force: true })
      await m3ter.close()
    }
  })

  it('the token endpoint failing at the refresh point: the fleet keeps its still-valid token, only the broker asks', {
    timeout: 120_000,
  }, async () => {
    const clock = createManualClock()
    const m3ter = await startMockM3ter({ clock })
    const fleet = await startFleet(m3ter, clock, { broker: 'real' })
    try {
      expect(statuses(await fleet.round())).toEqual(allOk)
      await clock.advance(PAST_REFRESH_MS)
      m3ter.faults.inject('token', { kind: 'status', status: 503 }, { times: Number.POSITIVE_INFINITY })
      const answers = await fleet.round()
      // The broker's refresh failed; it handed out the old token for a little longer instead, so no isolate
      // (not even the one that makes a provider per request) went to m3ter by itself.
      expect(statuses(answers)).toEqual(allOk)
      expect(events(answers)).toEqual([])
      expect(m3ter.stats.tokenRequests).toBe(2)
    } finally {
      await fleet.dispose()
      await m3ter.close()
    }
  })

  it('a broker that cannot be reached: every request still succeeds, each isolate fetching for itself', {
    timeout: 120_000,
  }, async () => {
    const clock = createManualClock()
    const m3ter = await startMockM3ter({ clock })
    const fleet = await startFleet(m3ter, clock, { broker: 'broken' })
    try {
      const answers = await fleet.round()
      expect(statuses(answers)).toEqual(allOk)
      expect(events(answers)).toContain('broker_unavailable unreachable')
      // One token per isolate with a provider at module scope; the per-request Worker shares its own
      // token between its requests through the store's copy in the isolate.
      expect(m3ter.stats.tokenRequests).toBeGreaterThanOrEqual(2)
      expect(m3ter.stats.tokenRequests).toBeLessThanOrEqual(2 + CONCURRENCY)
    } finally {
      await fleet.dispose()
      await m3ter.close()
    }
  })

  it('raw requests: the key id alone, or another secret, is declined (409, no token); the rightful key is served', {
    timeout: 120_000,
  }, async () => {
    const clock = createManualClock()
    const m3ter = await startMockM3ter({ clock })
    const fleet = await startFleet(m3ter, clock, { broker: 'real' })
    try {
      await fleet.broker()
      const answers = await fleet.raw()
      const token = m3ter.issuedTokens[0]
      expect(token).toBeDefined()
      for (const name of ['keyIdOnly', 'keyIdOnly@fleet', 'otherSecret', 'otherSecret@fleet']) {
        expect(answers[name]?.status).toBe(409)
        expect(answers[name]?.body).not.toContain(token)
      }
      expect(answers.right?.status).toBe(200)
      expect(answers.right?.body).toContain(token)
      expect(m3ter.stats.tokenRequests).toBe(1)
    } finally {
      await fleet.dispose()
      await m3ter.close()
    }
  })

  it('a broker without credentials declines; the isolates fetch for themselves and say why', {
    timeout: 120_000,
  }, async () => {
    const clock = createManualClock()
    const m3ter = await startMockM3ter({ clock })
    const fleet = await startFleet(m3ter, clock, {
      broker: 'real',
      brokerBindings: { M3TER_API_KEY: '', M3TER_API_SECRET: '' },
    })
    try {
      const answers = await fleet.round()
      expect(statuses(answers)).toEqual(allOk)
      expect(events(answers)).toContain('broker_unavailable missing_credentials')
    } finally {
      await fleet.dispose()
      await m3ter.close()
    }
  })

  it('examples/cloudflare-broker: the example Worker and another bound to its broker share one token', {
    timeout: 120_000,
  }, async () => {
    // The example runs on the real clock, as deployed; so does the mock here. Nothing waits on time.
    const m3ter = await startMockM3ter()
    const code = await bundle(
      fileURLToPath(new URL('../../../examples/cloudflare-broker/worker.js', import.meta.url)),
    )
    const key = m3ter.keys[0]
    const env = {
      M3TER_API_KEY: key?.accessKeyId ?? '',
      M3TER_API_SECRET: key?.apiSecret ?? '',
      M3TER_ORG_ID: m3ter.orgId,
      M3TER_BASE_URL: m3ter.apiUrl,
      M3TER_TOKEN_URL: m3ter.tokenUrl,
    }
    const worker = (name: string, namespace: string | { className: string; scriptName: string }) => ({
      name,
      modules: true,
      script: code,
      compatibilityDate: '2025-09-01',
      bindings: env,
      durableObjects: { M3TER_TOKENS: namespace },
    })
    const mf = new Miniflare({
      workers: [
        worker('m3ter-auth-broker-example', 'M3terTokenBroker'),
        worker('another', { className: 'M3terTokenBroker', scriptName: 'm3ter-auth-broker-example' }),
      ],
    })
    try {
      const get = async (name: string) => {
        const fetcher = (await mf.getWorker(name)) as unknown as { fetch: typeof fetch }
        const res = await fetcher.fetch('http://worker/')
        return { status: res.status, meters: ((await res.json()) as { data?: unknown[] }).data?.length }
      }
      const answers = await Promise.all(
        ['m3ter-auth-broker-example', 'another'].flatMap((name) =>
          Array.from({ length: CONCURRENCY }, () => get(name)),
        ),
      )
      expect(answers).toEqual(Array.from({ length: 2 * CONCURRENCY }, () => ({ status: 200, meters: 10 })))
      expect(m3ter.stats.tokenRequests).toBe(1)
    } finally {
      await mf.dispose()
      await m3ter.close()
    }
  })
})
