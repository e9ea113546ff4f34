import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTokenProvider, findM3terAuthError, type TokenProvider } from '@m3ter-auth/core'
import type { UndiciModule } from '@m3ter-auth/drivers'
import {
  createManualClock,
  createProviderFor,
  type ForeignServer,
  type MockM3ter,
  startForeignServer,
  startMockM3ter,
} from '@m3ter-auth/testkit'
import { m3terAuthInterceptor } from '@m3ter-auth/undici'
import type { Dispatcher } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

/** What is particular to undici, run once per major. */
export function describeUndiciSpecifics(name: string, undici: UndiciModule): void {
  describe(`${name}: m3terAuthInterceptor`, () => {
    let m3ter: MockM3ter
    let foreign: ForeignServer
    let auth: TokenProvider
    let agent: InstanceType<UndiciModule['Agent']>

    beforeEach(async () => {
      const clock = createManualClock()
      m3ter = await startMockM3ter({ clock })
      foreign = await startForeignServer()
      auth = createProviderFor(m3ter, { clock })
      agent = new undici.Agent()
    })

    afterEach(async () => {
      await agent.close()
      await auth.close()
      await m3ter.close()
      await foreign.close()
    })

    const api = (path: string) => `${m3ter.apiUrl}/organizations/${m3ter.orgId}${path}`
    const apiLog = () => m3ter.log.filter((entry) => entry.origin === 'api' || entry.origin === 'ingest')
    const bearer = (index: number) => `Bearer ${m3ter.issuedTokens[index]}`
    const redirect = () => undici.interceptors.redirect({ maxRedirections: 3 })
    const send = async (
      dispatcher: Dispatcher,
      url: string,
      options: Partial<Dispatcher.RequestOptions> = {},
    ) => {
      const res = await undici.request(url, { dispatcher, ...options } as Dispatcher.RequestOptions)
      return { status: res.statusCode, text: await res.body.text() }
    }
    const warm = async (dispatcher: Dispatcher) => {
      expect((await send(dispatcher, api('/meters'))).status).toBe(200)
      m3ter.revokeAll()
    }

    it("replaces the caller's own Authorization on an in-scope URL with the provider's bearer", async () => {
      const d = agent.compose(m3terAuthInterceptor(auth))
      for (const headers of [
        ['Authorization', 'Bearer mine', 'x-user', 'u'],
        { AUTHORIZATION: 'Bearer mine', 'x-user': 'u' },
      ]) {
        expect((await send(d, api('/meters'), { headers })).status).toBe(200)
        expect(apiLog().at(-1)?.headers).toMatchObject({
          authorization: `Bearer ${m3ter.issuedTokens[0]}`,
          'x-user': 'u',
        })
      }
      expect(m3ter.stats.tokenRequests).toBe(1)
    })

    it('with a fresh token held, hands the request to the next dispatcher within the caller’s dispatch', async () => {
      // A recorder below ours (compose's first interceptor is the innermost).
      let reachedBelow = 0
      const below: Dispatcher.DispatcherComposeInterceptor = (next) =>
        function recordDispatch(opts, handler) {
          reachedBelow++
          return next(opts, handler)
        }
      const d = agent.compose(below, m3terAuthInterceptor(auth))
      expect((await send(d, api('/meters'))).status).toBe(200)
      const second = send(d, api('/meters'))
      // No promise between: the bare client's own dispatch is synchronous too.
      expect(reachedBelow).toBe(2)
      expect((await second).status).toBe(200)
      expect(apiLog().at(-1)?.headers.authorization).toBe(bearer(0))
      expect(m3ter.stats.tokenRequests).toBe(1)
    })

    describe('redirects', () => {
      const orders = {
        'redirect outside (each hop judged by its origin)': (a: TokenProvider) =>
          agent.compose(m3terAuthInterceptor(a), redirect()),
        'redirect inside (the bearer set once, stripped across origins)': (a: TokenProvider) =>
          agent.compose(redirect(), m3terAuthInterceptor(a)),
      }
      for (const [order, make] of Object.entries(orders)) {
        it(`${order}: a redirect to another origin carries no bearer`, async () => {
          const d = make(auth)
          for (const status of [301, 302, 303, 307, 308] as const)
            m3ter.faults.inject('api', { kind: 'redirect', location: `${foreign.url}/landing`, status })
          for (let i = 0; i < 5; i++)
            expect((await send(d, api('/meters'), { headers: { 'x-user': 'u' } })).status).toBe(200)
          expect(foreign.requests).toHaveLength(5)
          for (const request of foreign.requests) {
            expect(request.headers.authorization).toBeUndefined()
            expect(request.headers['x-user']).toBe('u')
          }
        })

        it(`${order}: a 403 from the foreign end of a redirect is handed back, not retried`, async () => {
          const rejecting = createServer((_req, res) => {
            res.writeHead(403).end('{"message":"not yours"}')
          })
          await new Promise<void>((resolve) => rejecting.listen(0, '127.0.0.1', resolve))
          const origin = `http://127.0.0.1:${(rejecting.address() as AddressInfo).port}`
          try {
            m3ter.faults.inject('api', { kind: 'redirect', location: `${origin}/elsewhere` })
            expect((await send(make(auth), api('/meters'))).status).toBe(403)
            expect(apiLog()).toHaveLength(1)
            expect(auth.snapshot().status).toBe('fresh')
          } finally {
            rejecting.closeAllConnections()
            await new Promise((resolve) => rejecting.close(resolve))
          }
        })
      }

      it("undici's fetch with the composed agent as dispatcher: no bearer across origins", async () => {
        const d = agent.compose(m3terAuthInterceptor(auth))
        m3ter.faults.inject('api', { kind: 'redirect', location: `${foreign.url}/landing`, status: 307 })
        const res = await undici.fetch(api('/meters'), { dispatcher: d })
        expect(res.status).toBe(200)
        await res.text()
        expect(foreign.requests[0]?.headers.authorization).toBeUndefined()
      })
    })

    describe('retry after 401/403', () => {
      it('the refused answer is read to its end, so the retry reuses the keep-alive socket', async () => {
        const sockets = new Set<unknown>()
        let refused: string | undefined
        // Refuses the first bearer it sees with a large body, accepts any other.
        const server = createServer((req, res) => {
          sockets.add(req.socket)
          refused ??= req.headers.authorization
          if (req.headers.authorization !== refused) return void res.end('ok')
          res.writeHead(401, { 'content-type': 'text/plain' }).end('x'.repeat(256 * 1024))
        })
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
        const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        const local = createTokenProvider({
          credentials: m3ter.keys[0]!,
          tokenUrl: m3ter.tokenUrl,
          scope: [origin],
        })
        try {
          const single = new undici.Agent({ connections: 1 })
          const res = await send(single.compose(m3terAuthInterceptor(local)), `${origin}/x`)
          await single.close()
          expect(res).toEqual({ status: 200, text: 'ok' })
          expect(sockets.size).toBe(1)
        } finally {
          await local.close()
          server.closeAllConnections()
          await new Promise((resolve) => server.close(resolve))
        }
      })

      it('two copies of the interceptor in one chain still retry only once', async () => {
        const d = agent.compose(m3terAuthInterceptor(auth), m3terAuthInterceptor(auth))
        await warm(d)
        m3ter.faults.inject('api', { kind: 'status', status: 403 }, { times: 5 })
        expect((await send(d, api('/meters'))).status).toBe(403)
        expect(apiLog()).toHaveLength(3)
      })
    })

    describe('hygiene', () => {
      it("never writes to the caller's options or headers (object, flat list, pairs)", async () => {
        const d = agent.compose(m3terAuthInterceptor(auth))
        await warm(d)
        const shapes = [{ 'x-user': 'u' }, ['x-user', 'u'], [['x-user', 'u']]] as const
        for (const headers of shapes) {
          const before = JSON.stringify(headers)
          const options = Object.freeze({
            method: 'POST',
            body: 'b',
            headers,
          }) as Partial<Dispatcher.RequestOptions>
          m3ter.revokeAll()
          const res = await send(d, api('/echo'), options)
          expect(res.status).toBe(200)
          expect(JSON.parse(res.text).headers['x-user']).toBe('u')
          expect(JSON.stringify(headers)).toBe(before)
        }
      })

      it("the user's own interceptors, inside and outside, keep working", async () => {
        const seen: string[] = []
        const tag =
          (label: string): Dispatcher.DispatcherComposeInterceptor =>
          (next) =>
            function tagged(opts, handler) {
              seen.push(label)
              const headers = { ...(opts.headers as Record<string, string>), [`x-${label}`]: '1' }
              return next({ ...opts, headers }, handler)
            }
        const d = agent.compose(tag('inner'), m3terAuthInterceptor(auth), tag('outer'))
        await warm(d)
        const res = await send(d, api('/echo'), { headers: { 'x-user': 'u' } })
        expect(JSON.parse(res.text).headers).toMatchObject({ 'x-inner': '1', 'x-outer': '1', 'x-user': 'u' })
        expect(seen).toEqual(['outer', 'inner', 'outer', 'inner', 'inner'])
        expect(apiLog()[2]?.headers.authorization).toBe(bearer(1))
      })

      it('aborting during the token wait rejects that request only; no API request is made for it', async () => {
        const d = agent.compose(m3terAuthInterceptor(auth))
        m3ter.faults.inject('token', { kind: 'hold' })
        const controller = new AbortController()
        const aborted = send(d, api('/meters'), { signal: controller.signal })
        const other = send(d, api('/meters'))
        while (m3ter.faults.held() < 1) await new Promise((resolve) => setImmediate(resolve))
        controller.abort()
        await expect(aborted).rejects.toMatchObject({ name: 'AbortError' })
        m3ter.faults.release()
        expect((await other).status).toBe(200)
        expect(apiLog()).toHaveLength(1)
      })

      it("a token failure reaches request() and fetch() through undici's error path", async () => {
        const d = agent.compose(m3terAuthInterceptor(auth))
        m3ter.deactivateKey(m3ter.keys[0]!.accessKeyId)
        const viaRequest = await send(d, api('/meters')).catch((e: unknown) => e)
        expect(findM3terAuthError(viaRequest)?.code).toBe('invalid_credentials')
        const viaFetch = await undici.fetch(api('/meters'), { dispatcher: d }).catch((e: unknown) => e)
        expect(viaFetch).toBeInstanceOf(TypeError)
        expect(findM3terAuthError(viaFetch)?.code).toBe('invalid_credentials')
        expect(apiLog()).toHaveLength(0)
      })

      it('compose() accepts it: the dispatch function declares exactly two parameters', () => {
        const dispatch = m3terAuthInterceptor(auth)(agent.dispatch.bind(agent))
        expect(dispatch.length).toBe(2)
      })
    })
  })
}
