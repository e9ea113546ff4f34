import { createServer } from 'node:net'
import { createManualClock, startMockM3ter } from '@m3ter-auth/testkit'
import { expect, it } from 'vitest'
import { createTokenProvider } from '../src/provider.ts'
import { printed, settle } from './harness.ts'

// Error messages are built from our own words and the token URL's origin and path; a transport's message
// (an injected fetch or a mocking library may describe the request, headers and all) is never copied into
// them, and the cause kept beside them has every Basic / Bearer value scrubbed. A secret pasted into the
// token URL by mistake is never printed back.

const credentials = { accessKeyId: 'key-id', apiSecret: 'the-api-secret' }
const basic = btoa('key-id:the-api-secret')

it('an injected fetch whose error quotes the request: neither message nor cause shows the Basic value', async () => {
  const clock = createManualClock()
  const auth = createTokenProvider({
    credentials,
    tokenUrl: 'https://api.m3ter.com/oauth/token',
    clock,
    retry: { maxAttempts: 1 },
    fetch: async (_url, init) => {
      const headers = JSON.stringify(init?.headers)
      throw new TypeError(`mock: no match for POST https://api.m3ter.com/oauth/token ${headers}`, {
        cause: Object.assign(new Error(`request had Authorization: Basic ${basic} and Bearer abc.def.ghi`), {
          code: 'ERR_NO_MATCH',
        }),
      })
    },
  })
  const { error } = await settle(auth.getToken())
  expect(error).toMatchObject({ code: 'token_endpoint_unavailable' })
  expect((error as Error).message).toBe(
    'POST https://api.m3ter.com/oauth/token: request failed (ERR_NO_MATCH)',
  )
  const shown = printed(error)
  for (const secret of [basic, 'the-api-secret', 'abc.def.ghi']) expect(shown).not.toContain(secret)
  // The cause is kept, scrubbed: its kind, its words and its code still help whoever debugs it.
  const cause = (error as Error).cause as Error & { cause: Error & { code?: string } }
  expect(cause).toBeInstanceOf(Error)
  expect(cause.name).toBe('TypeError')
  expect(cause.message).toContain('mock: no match for POST')
  expect(cause.cause.message).toContain('Basic [redacted]')
  expect(cause.cause.message).toContain('Bearer [redacted]')
  expect(cause.cause.code).toBe('ERR_NO_MATCH')
  await auth.close()
})

it('a secret pasted into the token URL’s query is never printed back, whatever goes wrong', async () => {
  const clock = createManualClock()
  const m3ter = await startMockM3ter({ clock })
  const leaked = 'pasted-secret-value'
  const closed = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
  for (const [tokenUrl, fault] of [
    [`${m3ter.tokenUrl}?api_secret=${leaked}`, { kind: 'html' as const }],
    [`${m3ter.tokenUrl}?api_secret=${leaked}`, { kind: 'status' as const, status: 404 }],
    [`http://127.0.0.1:${closed}/oauth/token?api_secret=${leaked}#${leaked}`, undefined],
  ] as const) {
    if (fault) m3ter.faults.inject('token', fault)
    const auth = createTokenProvider({ credentials, tokenUrl, clock, retry: { maxAttempts: 1 } })
    const { error } = await settle(auth.getToken())
    expect(error).toMatchObject({ name: 'M3terAuthError' })
    expect((error as Error).message).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/oauth\/token: /)
    expect(printed(error)).not.toContain(leaked)
    await auth.close()
  }
  await m3ter.close()
})

it('a secret given as tokenUrl by mistake is not echoed by invalid_options', () => {
  let error: unknown
  try {
    createTokenProvider({ credentials, tokenUrl: 'the-api-secret' })
  } catch (e) {
    error = e
  }
  expect(error).toMatchObject({ code: 'invalid_options' })
  expect((error as Error).message).toContain('tokenUrl')
  expect(printed(error)).not.toContain('the-api-secret')
})
