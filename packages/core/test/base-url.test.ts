import { startMockM3ter } from '@m3ter-auth/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { isM3terAuthError } from '../src/errors.ts'
import { createTokenProvider } from '../src/provider.ts'

const saved = { ...process.env }
afterEach(() => {
  for (const name of ['M3TER_BASE_URL', 'M3TER_API_KEY', 'M3TER_API_SECRET']) {
    if (saved[name] === undefined) delete process.env[name]
    else process.env[name] = saved[name]
  }
})

describe('M3TER_BASE_URL, as the CLI and m3ter SDKs read it', () => {
  it('with only the environment set, tokens come from the mock and its API origin gets the bearer', async () => {
    const m3ter = await startMockM3ter({ orgId: 'org' })
    const [key] = m3ter.keys
    process.env.M3TER_BASE_URL = `${m3ter.apiUrl}/`
    process.env.M3TER_API_KEY = key?.accessKeyId
    process.env.M3TER_API_SECRET = key?.apiSecret
    const auth = createTokenProvider()
    try {
      const url = `${m3ter.apiUrl}/organizations/org/meters`
      const header = await auth.authorize(url)
      expect(header).toMatch(/^Bearer /)
      expect((await fetch(url, { headers: { authorization: header ?? '' } })).status).toBe(200)
      expect(m3ter.stats.tokenRequests).toBe(1)
      expect(await auth.authorize('https://api.m3ter.com/organizations/org/meters')).toBeUndefined()
    } finally {
      await auth.close()
      await m3ter.close()
    }
  })

  it('explicit tokenUrl and scope win; a plain-http base off loopback is refused', () => {
    process.env.M3TER_BASE_URL = 'http://api.example.com'
    const error = (() => {
      try {
        createTokenProvider({ credentials: { accessKeyId: 'k', apiSecret: 's' } })
      } catch (caught) {
        return caught
      }
    })()
    expect(isM3terAuthError(error) && error.code).toBe('insecure_url')
    const auth = createTokenProvider({
      credentials: { accessKeyId: 'k', apiSecret: 's' },
      tokenUrl: 'https://api.m3ter.com/oauth/token',
      scope: ['https://api.m3ter.com'],
    })
    expect(auth.inScope('https://api.m3ter.com/x')).toBe(true)
  })

  it('an https base is the scope: its origin only', () => {
    process.env.M3TER_BASE_URL = 'https://api.eu.example.com/'
    const auth = createTokenProvider({ credentials: { accessKeyId: 'k', apiSecret: 's' } })
    expect(auth.inScope('https://api.eu.example.com/organizations/o/meters')).toBe(true)
    expect(auth.inScope('https://api.m3ter.com/organizations/o/meters')).toBe(false)
  })
})
