import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { inspect } from 'node:util'
import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { M3terAuthError } from '../src/errors.ts'
import { createTokenProvider } from '../src/provider.ts'
import { printed, settle } from './harness.ts'

// Each message here is listed in docs/troubleshooting.md; the comment above each test is what it said before.

const saved = { ...process.env }
afterEach(() => {
  for (const name of ['M3TER_API_KEY', 'M3TER_API_SECRET', 'M3TER_BASE_URL', 'M3TER_INGEST_URL']) {
    if (saved[name] === undefined) delete process.env[name]
    else process.env[name] = saved[name]
  }
})

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function firstError(options: Parameters<typeof createTokenProvider>[0]): Promise<Error> {
  const auth = createTokenProvider({ clock: createManualClock(), retry: { maxAttempts: 1 }, ...options })
  try {
    const { error } = await settle(auth.getToken())
    return error as Error
  } finally {
    await auth.close()
  }
}

describe('errors that say what to do', () => {
  it('a refused connection names its code and address', async () => {
    // before: POST http://127.0.0.1:4010/oauth/token: request failed
    const port = await closedPort()
    const error = await firstError({
      credentials: { accessKeyId: 'k', apiSecret: 's' },
      tokenUrl: `http://127.0.0.1:${port}/oauth/token`,
    })
    expect(error).toMatchObject({ code: 'token_endpoint_unavailable' })
    expect(error.message).toBe(
      `POST http://127.0.0.1:${port}/oauth/token: request failed (ECONNREFUSED 127.0.0.1:${port})`,
    )
  })

  it('an unknown host names its code and host (as Node’s fetch reports it)', async () => {
    // before: POST https://api.m3ter.example/oauth/token: request failed
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND api.m3ter.example'), {
      code: 'ENOTFOUND',
      hostname: 'api.m3ter.example',
    })
    const error = await firstError({
      credentials: { accessKeyId: 'k', apiSecret: 's' },
      tokenUrl: 'https://api.m3ter.example/oauth/token',
      fetch: async () => {
        throw new TypeError('fetch failed', { cause: dns })
      },
    })
    expect(error.message).toBe(
      'POST https://api.m3ter.example/oauth/token: request failed (ENOTFOUND api.m3ter.example)',
    )
  })

  it('a token URL that answers 404 says where it looked and what to check', async () => {
    // before: POST http://127.0.0.1:4010/token: answered 404
    const m3ter = await startMockM3ter()
    const error = await firstError({ credentials: m3ter.keys[0]!, tokenUrl: `${m3ter.apiUrl}/token` })
    await m3ter.close()
    expect(error).toMatchObject({ code: 'token_endpoint_unavailable', status: 404 })
    expect(error.message).toBe(
      `POST ${m3ter.apiUrl}/token: answered 404: no token endpoint at ${m3ter.apiUrl}/token: check tokenUrl or M3TER_BASE_URL (an origin such as https://api.m3ter.com)`,
    )
  })

  it('key id and secret swapped: rejected, and the secret is in neither message nor stack', async () => {
    // before: POST …/oauth/token: answered 401; access key <the secret, printed> is wrong or inactive
    const m3ter = await startMockM3ter()
    const key = m3ter.keys[0]!
    const error = await firstError({
      credentials: { accessKeyId: key.apiSecret, apiSecret: key.accessKeyId },
      tokenUrl: m3ter.tokenUrl,
    })
    await m3ter.close()
    expect(error).toMatchObject({ code: 'invalid_credentials', status: 401 })
    expect(error.message).toMatch(
      /: answered 401: access key id or API secret rejected \(key #[0-9a-f]{8}\); check both, and that the key is active$/,
    )
    expect(printed(error)).not.toContain(key.apiSecret)
  })

  it('a missing variable is named alone', async () => {
    // before: createTokenProvider: no credentials; set M3TER_API_KEY and M3TER_API_SECRET or pass credentials
    process.env.M3TER_API_KEY = 'key-id'
    delete process.env.M3TER_API_SECRET
    const error = await firstError({})
    expect(error).toMatchObject({ code: 'missing_credentials' })
    expect(error.message).toBe(
      'createTokenProvider: no credentials: M3TER_API_SECRET is not set (M3TER_API_KEY is); set it or pass credentials',
    )
    delete process.env.M3TER_API_KEY
    expect((await firstError({})).message).toBe(
      'createTokenProvider: no credentials: M3TER_API_KEY and M3TER_API_SECRET are not set; set them or pass credentials',
    )
  })

  it.each([
    ['a trailing newline', 'the-secret\n', 'whitespace', 'it'],
    ['quotes', '"the-secret"', 'quotes', 'them'],
  ])('a secret from the environment with %s gets a hint, not a 401', async (_, secret, what, pronoun) => {
    // before: POST https://api.m3ter.com/oauth/token: answered 401; access key key-id is wrong or inactive
    process.env.M3TER_API_KEY = 'key-id'
    process.env.M3TER_API_SECRET = secret
    const error = await firstError({ fetch: async () => new Response('', { status: 401 }) })
    expect(error).toMatchObject({ code: 'invalid_options' })
    expect(error.message).toBe(
      `createTokenProvider: M3TER_API_SECRET has ${what} around it (a newline from a file or \`echo\`, or quotes copied from a .env file?); m3ter would reject it: remove ${pronoun}`,
    )
    expect(printed(error)).not.toContain('the-secret')
  })

  it('{ apiKey, apiSecret }, the SDK’s names, get a did-you-mean', () => {
    // before: credentials: accessKeyId must be a non-empty string
    let error: unknown
    try {
      createTokenProvider({ credentials: { apiKey: 'k', apiSecret: 's' } as never })
    } catch (caught) {
      error = caught
    }
    expect(error).toMatchObject({ code: 'invalid_options' })
    expect((error as Error).message).toBe(
      "credentials: accessKeyId must be a non-empty string (got apiKey: did you mean accessKeyId / apiSecret? m3ter's SDK calls the key id apiKey)",
    )
  })

  it('the class prints as M3terAuthError', () => {
    const error = new M3terAuthError('timeout', 'x')
    expect(M3terAuthError.name).toBe('M3terAuthError')
    expect(inspect(error).split('\n')[0]).toBe('M3terAuthError: x')
  })
})

it('every message above is listed in docs/troubleshooting.md', () => {
  const page = readFileSync(new URL('../../../docs/troubleshooting.md', import.meta.url), 'utf8')
  for (const message of [
    'request failed (ECONNREFUSED 127.0.0.1:4010)',
    'request failed (ENOTFOUND api.m3ter.example)',
    ': no token endpoint at https://api.m3ter.com/token: check tokenUrl or M3TER_BASE_URL (an origin such as https://api.m3ter.com)',
    'access key id or API secret rejected (key #1a2b3c4d); check both, and that the key is active',
    'createTokenProvider: no credentials: M3TER_API_SECRET is not set (M3TER_API_KEY is); set it or pass credentials',
    'createTokenProvider: M3TER_API_SECRET has whitespace around it (a newline from a file or `echo`, or quotes copied from a .env file?); m3ter would reject it: remove it',
    "credentials: accessKeyId must be a non-empty string (got apiKey: did you mean accessKeyId / apiSecret? m3ter's SDK calls the key id apiKey)",
    'createTokenProvider: M3TER_BASE_URL must be an origin such as https://api.m3ter.com, not https://api.m3ter.com/organizations/org-1: remove the path (the organization id goes in M3TER_ORG_ID)',
    'it is outside the scope [http://127.0.0.1:4010]; add it to the scope option, or set M3TER_INGEST_URL if it is your ingest origin',
    'attachM3terAuth(instance, auth): auth must be the token provider from createTokenProvider() (or a token pool); got undefined',
  ])
    expect(page).toContain(message)
})
