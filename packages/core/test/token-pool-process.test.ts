import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { beforeAll, expect, it } from 'vitest'

// A real Node process with the real clock, a pool and a mock m3ter with 10,000 organisations: members
// cycled through `maxProviders: 100` are collected with their secrets (seen through WeakRefs after a full
// garbage collection), and the pool, left open, does not keep the process alive.
let bundle = ''
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm3ter-auth-pool-'))
  const entry = join(dir, 'entry.ts')
  const src = new URL('../src/index.ts', import.meta.url).pathname
  const testkit = new URL('../../testkit/src/index.ts', import.meta.url).pathname
  writeFileSync(
    entry,
    `export { createTokenPool } from ${JSON.stringify(src)}\nexport { startMockM3ter } from ${JSON.stringify(testkit)}\n`,
  )
  bundle = join(dir, 'bundle.mjs')
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bundle,
    logLevel: 'error',
    alias: { '@m3ter-auth/core': src },
  })
})

const script = () => `
import { createTokenPool, startMockM3ter } from ${JSON.stringify(bundle)}
const orgIds = Array.from({ length: 10_000 }, (_, i) => 'org-' + i)
const m3ter = await startMockM3ter({ organizations: orgIds.map((orgId) => ({ orgId })) })
const keys = new Map(m3ter.organizations.map(({ orgId, keys: [key] }) => [orgId, key]))
// What credentialsFor hands out, watched: a secret kept anywhere keeps its object alive.
const handedOut = []
const pool = createTokenPool({
  credentialsFor: (orgId) => {
    const { accessKeyId, apiSecret } = keys.get(orgId)
    const credentials = { accessKeyId, apiSecret }
    handedOut.push(new WeakRef(credentials))
    return credentials
  },
  maxProviders: 100,
  tokenUrl: m3ter.tokenUrl,
  scope: [m3ter.apiUrl, m3ter.ingestUrl],
})
// Sampled with the mock's own log and token list emptied: those are the mock's, not the pool's.
const heap = () => { m3ter.reset(); globalThis.gc(); return process.memoryUsage().heapUsed }
const heaps = []
for (let start = 0; start < orgIds.length; start += 100) {
  const members = await Promise.all(orgIds.slice(start, start + 100).map((orgId) => pool.for(orgId)))
  await Promise.all(members.map((member) => member.getToken()))
  if (start % 2_500 === 0) heaps.push(heap())
}
await new Promise((resolve) => setTimeout(resolve, 10))
heaps.push(heap())
const alive = handedOut.filter((ref) => ref.deref() !== undefined).length
console.log(JSON.stringify({ members: pool.snapshot().size, alive, heaps }))
await m3ter.close()
// The pool stays open, its idle timer pending: the process must still end by itself.
`

it('10,000 organisations through maxProviders 100: evicted secrets are collected, and an open pool lets the process exit', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'm3ter-auth-pool-')), 'main.mjs')
  writeFileSync(file, script())
  const run = spawnSync(process.execPath, ['--expose-gc', file], { encoding: 'utf8', timeout: 120_000 })
  expect(run.stderr).toBe('')
  expect(run.signal).toBeNull()
  expect(run.status).toBe(0)
  const figures = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}')
  expect(figures.members).toBe(100)
  // Only the members held now keep their credentials.
  expect(figures.alive).toBe(100)
  const mib = (figures.heaps as number[]).map((bytes) => (bytes / 2 ** 20).toFixed(1))
  console.log(
    `pool (child process): 10,000 orgs, maxProviders 100 -> ${figures.members} members, ${figures.alive} secrets alive, heap after GC ${mib.join(' -> ')} MiB (not asserted), exited by itself`,
  )
}, 150_000)
