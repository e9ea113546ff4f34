import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { expect, it } from 'vitest'

// §4.11: a provider waiting out a backoff (token endpoint down) must not keep a Node process alive.
it('§4.11 nothing keeps a Node process alive: a pending backoff timer is unref’d', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm3ter-auth-exit-'))
  const bundle = join(dir, 'core.mjs')
  await build({
    entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    outfile: bundle,
    logLevel: 'error',
  })
  // A port that refuses connections: every token request fails at once and a retry is scheduled.
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
  const script = join(dir, 'main.mjs')
  writeFileSync(
    script,
    `import { createTokenProvider } from ${JSON.stringify(bundle)}
const auth = createTokenProvider({
  credentials: { accessKeyId: 'k', apiSecret: 's' },
  tokenUrl: 'http://127.0.0.1:${port}/oauth/token',
  scope: ['http://127.0.0.1:${port}'],
  retry: { baseDelayMs: 60000, maxDelayMs: 60000 },
  onEvent: (e) => { if (e.type === 'refresh_failed') console.log('backoff', e.retryInMs !== undefined) },
})
auth.getToken().catch(() => {})
`,
  )
  const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 30_000 })
  expect(run.stdout).toContain('backoff true')
  expect(run.signal).toBeNull()
  expect(run.status).toBe(0)
})
