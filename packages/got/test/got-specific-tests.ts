import { inspect } from 'node:util'
import { findM3terAuthError, type TokenProvider } from '@m3ter-auth/core'
import { m3terAuthHooks } from '@m3ter-auth/got'
import {
  createManualClock,
  createProviderFor,
  type ForeignServer,
  type MockM3ter,
  startForeignServer,
  startMockM3ter,
} from '@m3ter-auth/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

// Every way a caller may print a response or its request (got's Request is circular to JSON: nothing shown).
const json = (value: unknown) => {
  try {
    return JSON.stringify(value) ?? ''
  } catch {
    return ''
  }
}
const views = (value: unknown) => [
  json(value),
  inspect(value),
  inspect(value, { showHidden: true, depth: 6 }),
  String(value),
]

type Res = { statusCode: number; body: string }
type Client = {
  (url: string, options?: Record<string, unknown>): Promise<Res>
  extend(options: Record<string, unknown>): Client
  stream(url: string, options?: Record<string, unknown>): NodeJS.ReadableStream
  defaults: { options: { context: Record<string, unknown>; headers: Record<string, unknown> } }
}

/** got-specific behaviour, run once per major (the got instance is passed in). */
export function gotSpecificTests(name: string, got: Client): void {
  describe(`${name}: m3terAuthHooks`, () => {
    let m3ter: MockM3ter
    let foreign: ForeignServer
    let auth: TokenProvider
    let client: Client
    const url = (path: string) => `${m3ter.apiUrl}/organizations/${m3ter.orgId}${path}`
    const apiStatuses = () => m3ter.log.filter((e) => e.origin === 'api').map((e) => e.status)

    beforeEach(async () => {
      const clock = createManualClock()
      m3ter = await startMockM3ter({ clock })
      foreign = await startForeignServer()
      auth = createProviderFor(m3ter, { clock })
      client = got.extend({ hooks: m3terAuthHooks(auth), retry: { limit: 0 }, throwHttpErrors: false })
    })

    afterEach(async () => {
      await auth.close()
      await Promise.all([m3ter.close(), foreign.close()])
    })

    it('got.stream() skips afterResponse: no retry, but the rejected token is dropped', async () => {
      await client(url('/meters'))
      m3ter.revokeAll()
      const error = await new Promise<unknown>((resolve) => {
        const stream = got.extend({ hooks: m3terAuthHooks(auth) }).stream(url('/meters'))
        stream.on('error', resolve)
        stream.on('end', () => resolve(undefined))
        stream.resume()
      })
      expect((error as { response?: { statusCode: number } }).response?.statusCode).toBe(403)
      expect(JSON.stringify(error)).not.toContain(m3ter.issuedTokens[0])
      expect((await client(url('/meters'))).statusCode).toBe(200)
      expect(apiStatuses()).toEqual([200, 403, 200])
    })

    it("works next to got's own retries: each attempt carries the current token, one refresh", async () => {
      const retrying = got.extend({ hooks: m3terAuthHooks(auth), retry: { limit: 2, backoffLimit: 1 } })
      await retrying(url('/meters'))
      m3ter.revokeAll()
      m3ter.faults.inject('api', { kind: 'status', status: 503 }, { times: 2 })
      // 503 (got retries), 503 (got retries), 403 (ours: refresh, retry), 200.
      expect((await retrying(url('/meters'))).statusCode).toBe(200)
      expect(apiStatuses()).toEqual([200, 503, 503, 403, 200])
      expect(m3ter.stats.tokenRequests).toBe(2)
    })

    it("keeps the caller's hooks working; their afterResponse sees the retried answer", async () => {
      const seen: number[] = []
      const before: string[] = []
      const withHooks = client.extend({
        hooks: {
          beforeRequest: [
            (options: { headers: Record<string, string> }) => void before.push(options.headers['x-mine']!),
          ],
          afterResponse: [
            (response: Res) => {
              seen.push(response.statusCode)
              return response
            },
          ],
        },
        headers: { 'x-mine': 'kept' },
      })
      await withHooks(url('/meters'))
      m3ter.revokeAll()
      expect((await withHooks(url('/meters'))).statusCode).toBe(200)
      expect(seen).toEqual([200, 200])
      expect(before).toEqual(['kept', 'kept', 'kept'])
      expect(m3ter.log.filter((e) => e.origin === 'api').every((e) => e.headers['x-mine'] === 'kept')).toBe(
        true,
      )
    })

    it('a successful response shows no bearer to inspect or JSON.stringify, first try or retry', async () => {
      const first = await client(url('/meters'))
      m3ter.revokeAll()
      const retried = await client(url('/meters'))
      expect([first.statusCode, retried.statusCode]).toEqual([200, 200])
      for (const [response, token] of [
        [first, m3ter.issuedTokens[0]!],
        [retried, m3ter.issuedTokens[1]!],
      ] as const) {
        for (const view of [...views(response), ...views((response as { request?: unknown }).request)])
          expect(view).not.toContain(token)
      }
      // The next request still carries the bearer: only what the caller holds lost it.
      expect((await client(url('/meters'))).statusCode).toBe(200)
      expect(m3ter.stats.tokenRequests).toBe(2)
    })

    it('code still reads the bearer a successful response was sent with (docs/contract.md §4.10)', async () => {
      const response = (await client(url('/meters'))) as Res & {
        req: { getHeader(name: string): unknown }
        request: { _requestOptions?: { headers?: Record<string, unknown> } }
      }
      const bearer = `Bearer ${m3ter.issuedTokens[0]}`
      expect(response.req.getHeader('authorization')).toBe(bearer)
      // got 16 hands Node a copy of the headers; got 14 hands it the options' own (which lose the header).
      const handed = response.request._requestOptions?.headers
      if (handed && Object.getOwnPropertyDescriptor(handed, 'authorization'))
        expect(handed.authorization).toBe(bearer)
    })

    it('a second 403 reaches the caller as an HTTPError by default', async () => {
      const throwing = got.extend({ hooks: m3terAuthHooks(auth), retry: { limit: 0 } })
      await throwing(url('/meters'))
      m3ter.faults.inject('api', { kind: 'status', status: 403, body: '{"message":"no"}' }, { times: 2 })
      const error = (await throwing(url('/meters')).catch((e: unknown) => e)) as {
        name: string
        response: Res
      }
      expect(error.name).toBe('HTTPError')
      expect(error.response.body).toBe('{"message":"no"}')
      expect(apiStatuses()).toEqual([200, 403, 403])
      for (const view of views(error))
        for (const token of m3ter.issuedTokens) expect(view).not.toContain(token)
    })

    it('surfaces a token failure through got, with the M3terAuthError as cause', async () => {
      m3ter.deactivateKey(m3ter.keys[0]!.accessKeyId)
      const error = await client(url('/meters')).catch((e: unknown) => e)
      expect((error as Error).name).toBe('RequestError')
      expect(findM3terAuthError(error)?.code).toBe('invalid_credentials')
    })

    it("does not mutate the caller's options or the instance defaults", async () => {
      await client(url('/meters'))
      const options = { method: 'POST', json: { n: 1 }, headers: { 'x-a': '1' }, context: { mine: true } }
      const snapshot = structuredClone(options)
      m3ter.revokeAll()
      const first = await client(url('/echo'), options)
      expect(first.statusCode).toBe(200)
      m3ter.revokeAll()
      // The same options object again: it must be retried again (no mark left behind on it).
      expect((await client(url('/echo'), options)).statusCode).toBe(200)
      expect(options).toEqual(snapshot)
      expect(client.defaults.options.context).toEqual({})
      expect(client.defaults.options.headers.authorization).toBeUndefined()
      expect(apiStatuses()).toEqual([200, 403, 200, 403, 200])
      expect(JSON.parse(first.body).body).toBe('{"n":1}')
    })
  })
}
