// examples/prometheus/main.mjs on Node, as a user runs it after installing the built packages: it serves
// @m3ter-auth/otel's metrics through @opentelemetry/exporter-prometheus, and a scrape shows the token
// request that its traffic against the mock caused.
import { spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { pathOf } from './bundle.ts'
import { startHarness } from './harness.ts'

const modules = fileURLToPath(new URL('../node_modules', import.meta.url))

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

it('examples/prometheus/main.mjs serves the token metrics on a scrape endpoint', async () => {
  const h = await startHarness()
  const dir = mkdtempSync(join(tmpdir(), 'm3ter-example-'))
  const port = await freePort()
  copyFileSync(pathOf.example('prometheus/main.mjs'), join(dir, 'main.mjs'))
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n')
  symlinkSync(modules, join(dir, 'node_modules'))
  const child = spawn(process.execPath, [join(dir, 'main.mjs')], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...h.env, METRICS_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  try {
    // Ready once it printed the scrape address (or it died trying).
    await Promise.race([
      new Promise<void>((resolve) => child.stdout.on('data', () => output.includes('scrape:') && resolve())),
      exited.then((code) => {
        throw new Error(`the example exited (${code}) before serving:\n${output}`)
      }),
    ])
    expect(output).toContain('meters: 250')
    const scrape = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    expect(scrape).toMatch(/^m3ter_auth_token_requests_total\{[^}]*m3ter_auth_token_outcome="ok"[^}]*\} 1$/m)
    expect(scrape).toMatch(
      /^m3ter_auth_token_refreshes_total\{[^}]*m3ter_auth_refresh_reason="cold"[^}]*\} 1$/m,
    )
    expect(scrape).toMatch(/^m3ter_auth_token_time_to_expiry\{[^}]*\} \d+/m)
    expect(scrape).toMatch(/^m3ter_auth_provider_status\{[^}]*m3ter_auth_provider_status="fresh"[^}]*\} 1$/m)
    expect(scrape).toContain('m3ter_auth_provider_name="example"')
    for (const token of h.mock.issuedTokens) expect(scrape).not.toContain(token)
    expect(scrape).not.toContain(h.env.M3TER_API_SECRET)
    expect(h.mock.stats.tokenRequests).toBe(1)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    await h.close()
  }
}, 60_000)
