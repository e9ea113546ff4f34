import { createServer } from 'node:net'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildCli, runCli } from './helpers.ts'

// A secret pasted into the token URL by mistake (as the URL itself, or into its query) is never printed
// back on stderr, nor is anything a failing transport says about the request.

let bin: string
beforeAll(async () => {
  bin = await buildCli()
}, 60_000)

const secret = 'pasted-api-secret-value'
const env = { M3TER_API_KEY: 'key-id', M3TER_API_SECRET: secret }

const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

describe('m3ter-auth token never prints a secret pasted into the token URL', () => {
  it('given as --token-url itself: a usage error that does not echo it (exit 1)', async () => {
    const run = await runCli(bin, ['token', '--no-cache', '--token-url', secret], { env })
    expect(run.code).toBe(1)
    expect(run.stderr).toBe('m3ter-auth: --token-url is not a URL\n')
  })

  it('given as M3TER_BASE_URL: the same', async () => {
    const run = await runCli(bin, ['token', '--no-cache'], { env: { ...env, M3TER_BASE_URL: secret } })
    expect(run.code).toBe(1)
    expect(run.stderr).not.toContain(secret)
  })

  it('in the query of an unreachable token URL: origin, path and the error code only (exit 3)', async () => {
    const port = await closedPort()
    const url = `http://127.0.0.1:${port}/oauth/token?api_secret=${secret}`
    const run = await runCli(bin, ['token', '--no-cache', '--token-url', url], { env })
    expect(run.code).toBe(3)
    expect(run.stderr).toContain(`POST http://127.0.0.1:${port}/oauth/token`)
    expect(run.stderr).toContain('ECONNREFUSED')
    expect(run.stderr).not.toContain(secret)
    expect(run.stderr).not.toContain(btoa(`key-id:${secret}`))
  })
})
