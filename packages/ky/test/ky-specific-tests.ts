import { inspect } from 'node:util'
import { findM3terAuthError, type TokenProvider } from '@m3ter-auth/core'
import { m3terAuth } from '@m3ter-auth/ky'
import {
  createManualClock,
  createProviderFor,
  type ForeignServer,
  type MockM3ter,
  startForeignServer,
  startMockM3ter,
} from '@m3ter-auth/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

type Client = {
  (url: string, options?: Record<string, unknown>): Promise<Response>
  extend(options: Record<string, unknown>): Client
}

/** ky-specific behaviour, run once per major (the ky instance is passed in). */
export function kySpecificTests(name: string, ky: Client): void {
  describe(`${name}: m3terAuth`, () => {
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
      client = ky.extend({ ...m3terAuth(auth), retry: { limit: 0 }, throwHttpErrors: false })
    })

    afterEach(async () => {
      await auth.close()
      await Promise.all([m3ter.close(), foreign.close()])
    })

    it('§4.10 an HTTPError carries no bearer in JSON.stringify or util.inspect; error.request still readable', async () => {
      const throwing = ky.extend({ ...m3terAuth(auth), retry: { limit: 0 } })
      m3ter.faults.inject('api', { kind: 'status', status: 500 })
      const error = (await throwing(url('/meters')).catch((e: unknown) => e)) as Error & { request: Request }
      expect(error.name).toBe('HTTPError')
      const printed = `${JSON.stringify(error)}\n${inspect(error)}`
      expect(m3ter.issuedTokens).toHaveLength(1)
      expect(printed).not.toContain(m3ter.issuedTokens[0])
      expect(error.request.url).toBe(url('/meters'))
    })

    it("works next to ky's own retries: one refresh, each attempt with a live token", async () => {
      const retrying = ky.extend({ ...m3terAuth(auth), retry: { limit: 2, delay: () => 0 } })
      await retrying(url('/meters'))
      m3ter.revokeAll()
      m3ter.faults.inject('api', { kind: 'status', status: 503 }, { times: 1 })
      // 503 (ky retries with the header refreshed in beforeRetry), 403 (ours), 200.
      expect((await retrying(url('/meters'))).status).toBe(200)
      expect(apiStatuses()).toEqual([200, 503, 403, 200])
      expect(m3ter.stats.tokenRequests).toBe(2)
    })

    it("keeps the caller's hooks working; their afterResponse sees the retried answer", async () => {
      const seen: number[] = []
      const withHooks = client.extend({
        headers: { 'x-mine': 'kept' },
        hooks: { afterResponse: [(...args: unknown[]) => void seen.push(statusOf(args))] },
      })
      await withHooks(url('/meters'))
      m3ter.revokeAll()
      expect((await withHooks(url('/meters'))).status).toBe(200)
      expect(seen).toEqual([200, 200])
      expect(m3ter.log.filter((e) => e.origin === 'api').every((e) => e.headers['x-mine'] === 'kept')).toBe(
        true,
      )
    })

    it('a second 403 reaches the caller as an HTTPError by default', async () => {
      const throwing = ky.extend({ ...m3terAuth(auth), retry: { limit: 0 } })
      await throwing(url('/meters'))
      m3ter.faults.inject('api', { kind: 'status', status: 403, body: '{"message":"no"}' }, { times: 2 })
      const error = (await throwing(url('/meters')).catch((e: unknown) => e)) as {
        name: string
        response: Response
      }
      expect(error.name).toBe('HTTPError')
      expect(error.response.status).toBe(403)
      expect(apiStatuses()).toEqual([200, 403, 403])
    })

    it('surfaces a token failure as the M3terAuthError itself', async () => {
      m3ter.deactivateKey(m3ter.keys[0]!.accessKeyId)
      const error = await client(url('/meters')).catch((e: unknown) => e)
      expect(findM3terAuthError(error)?.code).toBe('invalid_credentials')
    })

    it('sends every request and the retry through the fetch given to m3terAuth', async () => {
      let calls = 0
      const counting: typeof fetch = (input, init) => {
        calls += 1
        return fetch(input, init)
      }
      const c = ky.extend({ ...m3terAuth(auth, { fetch: counting }), retry: { limit: 0 } })
      await c(url('/meters'))
      m3ter.revokeAll()
      expect((await c(url('/meters'))).status).toBe(200)
      expect(calls).toBe(3)
      expect(apiStatuses()).toEqual([200, 403, 200])
    })

    it('a fetch given to ky after m3terAuth replaces the bearer and the retry; composed under it, both are back', async () => {
      let calls = 0
      const counting: typeof fetch = (input, init) => {
        calls += 1
        return fetch(input, init)
      }
      // The bearer is added in m3terAuth's fetch, so ky's own Request (which its errors print) never holds it.
      const replaced = client.extend({ fetch: counting })
      expect((await replaced(url('/meters'))).status).toBe(403)
      expect(m3ter.log.filter((e) => e.origin === 'api').map((e) => e.headers.authorization)).toEqual([
        undefined,
      ])
      // Composed through extend's function form, the caller's fetch sits under ours: signed, and retried.
      const composed = ky
        .extend({ fetch: counting, retry: { limit: 0 }, throwHttpErrors: false })
        .extend(((parent: Record<string, unknown>) =>
          m3terAuth(auth, { fetch: parent.fetch as typeof fetch })) as never)
      calls = 0
      expect((await composed(url('/meters'))).status).toBe(200)
      m3ter.revokeAll()
      expect((await composed(url('/meters'))).status).toBe(200)
      expect(calls).toBe(3)
      expect(apiStatuses()).toEqual([403, 200, 403, 200])
    })

    it("the caller's hooks see one request and one final response across the 401/403 retry", async () => {
      const before: string[] = []
      const after: number[] = []
      const withHooks = client.extend({
        hooks: {
          beforeRequest: [(...args: unknown[]) => void before.push(requestOf(args).method)],
          afterResponse: [(...args: unknown[]) => void after.push(statusOf(args))],
        },
      })
      await withHooks(url('/meters'))
      m3ter.revokeAll()
      expect((await withHooks(url('/echo'), { method: 'POST', json: { n: 1 } })).status).toBe(200)
      expect(before).toEqual(['GET', 'POST'])
      expect(after).toEqual([200, 200])
      expect(apiStatuses()).toEqual([200, 403, 200])
    })

    it("does not mutate the caller's options", async () => {
      await client(url('/meters'))
      const headers = new Headers({ 'x-a': '1' })
      const options = { method: 'POST', json: { n: 1 }, headers, context: { mine: true } }
      m3ter.revokeAll()
      expect((await client(url('/echo'), options)).status).toBe(200)
      m3ter.revokeAll()
      expect((await client(url('/echo'), options)).status).toBe(200)
      const left: string[][] = []
      headers.forEach((value, key) => {
        left.push([key, value])
      })
      expect(left).toEqual([['x-a', '1']])
      expect(options.json).toEqual({ n: 1 })
      expect(options.context).toEqual({ mine: true })
      expect(apiStatuses()).toEqual([200, 403, 200, 403, 200])
    })
  })
}

function requestOf(args: unknown[]): Request {
  return args[0] instanceof Request ? args[0] : (args[0] as { request: Request }).request
}

// ky 1 passes (request, options, response, state); ky 2 passes ({ request, options, response, retryCount }).
function statusOf(args: unknown[]): number {
  const response = args[0] instanceof Request ? args[2] : (args[0] as { response: Response }).response
  return (response as Response).status
}
