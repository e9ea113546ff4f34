import { startMockM3ter } from '@m3ter-auth/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { isM3terAuthError } from '../src/errors.ts'
import type { Logger } from '../src/logger.ts'
import { createTokenProvider } from '../src/provider.ts'

// The one environment story, as m3ter's official SDKs tell it: M3TER_BASE_URL is the API origin (token URL
// included), the ingest origin is derived from it (`api.` -> `ingest.`) or named by M3TER_INGEST_URL, and
// the default scope is both.

const NAMES = ['M3TER_BASE_URL', 'M3TER_INGEST_URL', 'M3TER_API_KEY', 'M3TER_API_SECRET', 'M3TER_AUTH_DEBUG']
const saved = { ...process.env }
afterEach(() => {
  for (const name of NAMES) {
    if (saved[name] === undefined) delete process.env[name]
    else process.env[name] = saved[name]
  }
})

const credentials = { accessKeyId: 'k', apiSecret: 's' }

function errorOf(run: () => unknown): unknown {
  try {
    run()
  } catch (caught) {
    return caught
  }
  return undefined
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const keep = (message: string) => {
    lines.push(message)
  }
  return { lines, debug: keep, info: keep, warn: keep, error: keep }
}

describe('M3TER_BASE_URL and M3TER_INGEST_URL', () => {
  it('the mock as it prints itself: measurements to its ingest origin get the bearer and are accepted', async () => {
    const m3ter = await startMockM3ter({ orgId: 'org' })
    const [key] = m3ter.keys
    process.env.M3TER_BASE_URL = m3ter.apiUrl
    process.env.M3TER_INGEST_URL = m3ter.ingestUrl
    process.env.M3TER_API_KEY = key?.accessKeyId
    process.env.M3TER_API_SECRET = key?.apiSecret
    const auth = createTokenProvider()
    try {
      const url = `${m3ter.ingestUrl}/organizations/org/measurements`
      const header = await auth.authorize(url)
      expect(header).toMatch(/^Bearer /)
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: header ?? '', 'content-type': 'application/json' },
        body: JSON.stringify({ measurements: [{ meter: 'm', account: 'a', ts: '2026-01-01T00:00:00Z' }] }),
      })
      expect(res.status).toBe(200)
      expect(auth.inScope(`${m3ter.apiUrl}/organizations/org/meters`)).toBe(true)
    } finally {
      await auth.close()
      await m3ter.close()
    }
  })

  it('derives the ingest origin as the SDK does: api. -> ingest.', () => {
    process.env.M3TER_BASE_URL = 'https://api.eu.example.com/'
    const auth = createTokenProvider({ credentials })
    expect(auth.inScope('https://api.eu.example.com/organizations/o/meters')).toBe(true)
    expect(auth.inScope('https://ingest.eu.example.com/organizations/o/measurements')).toBe(true)
    expect(auth.inScope('https://ingest.m3ter.com/organizations/o/measurements')).toBe(false)
  })

  it('M3TER_INGEST_URL alone adds that origin to m3ter’s API origin', () => {
    process.env.M3TER_INGEST_URL = 'https://ingest.proxy.example'
    const auth = createTokenProvider({ credentials })
    expect(auth.inScope('https://api.m3ter.com/x')).toBe(true)
    expect(auth.inScope('https://ingest.proxy.example/x')).toBe(true)
  })

  it('a base URL with a path is invalid_options naming it, not a rejected key at the first request', () => {
    // before: POST https://api.m3ter.com/organizations/org-1/oauth/token: answered 403; access key … is wrong or inactive
    process.env.M3TER_BASE_URL = 'https://api.m3ter.com/organizations/org-1'
    const error = errorOf(() => createTokenProvider({ credentials }))
    expect(isM3terAuthError(error) && error.code).toBe('invalid_options')
    expect((error as Error).message).toBe(
      'createTokenProvider: M3TER_BASE_URL must be an origin such as https://api.m3ter.com, not https://api.m3ter.com/organizations/org-1: remove the path (the organization id goes in M3TER_ORG_ID)',
    )
  })

  it('a request to an m3ter host outside the scope logs one debug line, the first time only', () => {
    process.env.M3TER_BASE_URL = 'https://api.eu.example.com'
    const logger = recordingLogger()
    const auth = createTokenProvider({ credentials, scope: ['https://api.m3ter.com'], logger })
    for (let i = 0; i < 3; i++)
      expect(auth.inScope('https://ingest.m3ter.com/organizations/o/measurements')).toBe(false)
    expect(auth.inScope('https://example.org/')).toBe(false)
    expect(logger.lines).toEqual([
      'm3ter-auth: no bearer for https://ingest.m3ter.com: it is outside the scope [https://api.m3ter.com]; add it to the scope option, or set M3TER_INGEST_URL if it is your ingest origin',
    ])
  })

  it('a loopback sibling (the mock’s other port) outside the scope is reported too; other origins are not', async () => {
    const m3ter = await startMockM3ter()
    const logger = recordingLogger()
    const auth = createTokenProvider({ credentials, scope: [m3ter.apiUrl], tokenUrl: m3ter.tokenUrl, logger })
    expect(auth.inScope(`${m3ter.ingestUrl}/organizations/o/measurements`)).toBe(false)
    expect(auth.inScope('https://registry.npmjs.org/')).toBe(false)
    expect(logger.lines).toHaveLength(1)
    expect(logger.lines[0]).toContain(`no bearer for ${m3ter.ingestUrl}`)
    await auth.close()
    await m3ter.close()
  })
})
