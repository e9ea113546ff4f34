import { inspect } from 'node:util'
import { attachM3terAuth } from '@m3ter-auth/axios'
import type { TokenProvider } from '@m3ter-auth/core'
import {
  createManualClock,
  createProviderFor,
  type ForeignServer,
  type MockM3ter,
  startForeignServer,
  startMockM3ter,
} from '@m3ter-auth/testkit'
import axios, { type AxiosError, type AxiosInstance } from 'axios'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

let m3ter: MockM3ter
let foreign: ForeignServer
let auth: TokenProvider
let api: AxiosInstance
const url = (path: string) => `${m3ter.apiUrl}/organizations/${m3ter.orgId}${path}`
const bearers = () => m3ter.log.filter((e) => e.origin !== 'token').map((e) => e.headers.authorization)

beforeEach(async () => {
  const clock = createManualClock()
  m3ter = await startMockM3ter({ clock })
  foreign = await startForeignServer()
  auth = createProviderFor(m3ter, { clock })
  api = axios.create()
})

afterEach(async () => {
  await auth.close()
  await Promise.all([m3ter.close(), foreign.close()])
})

describe('attachM3terAuth', () => {
  it('§4.10 an AxiosError carries no bearer in JSON.stringify or util.inspect, and re-sending its config works', async () => {
    attachM3terAuth(api, auth)
    m3ter.faults.inject('api', { kind: 'status', status: 500 })
    const error = (await api.get(url('/meters')).catch((e: unknown) => e)) as AxiosError
    expect(error.response?.status).toBe(500)
    // As a user logs it (console.log inspects to depth 2).
    const printed = `${JSON.stringify(error)}\n${inspect(error)}`
    expect(m3ter.issuedTokens).toHaveLength(1)
    for (const token of m3ter.issuedTokens) expect(printed).not.toContain(token)
    // axios-retry style: the same config again is signed afresh.
    expect((await api.request(error.config!)).status).toBe(200)
    expect(bearers().at(-1)).toBe(`Bearer ${m3ter.issuedTokens[0]}`)
  })

  it('leaves the default axios export alone and detaches cleanly', async () => {
    const before = (axios.interceptors.request as unknown as { handlers: unknown[] }).handlers.length
    const detach = attachM3terAuth(api, auth)
    expect((axios.interceptors.request as unknown as { handlers: unknown[] }).handlers.length).toBe(before)
    expect((await api.get(url('/meters'))).status).toBe(200)
    detach()
    const res = await api.get(url('/meters'), { validateStatus: () => true })
    expect(res.status).toBe(403)
    expect(bearers()[1]).toBeUndefined()
    expect(m3ter.stats.tokenRequests).toBe(1)
  })

  it('with a fresh token held, the request reaches the adapter synchronously (no promise chain)', async () => {
    const http = axios.getAdapter('http')
    let reached = 0
    api.defaults.adapter = (config) => {
      reached++
      return http(config)
    }
    attachM3terAuth(api, auth)
    // The first request waits for the token: axios's promise chain.
    await api.get(url('/meters'))
    reached = 0
    const pending = api.get(url('/meters'))
    // Before any await: only axios's synchronous interceptor path gets here this early.
    expect(reached).toBe(1)
    expect((await pending).status).toBe(200)
    expect(bearers().at(-1)).toBe(`Bearer ${m3ter.issuedTokens[0]}`)
    expect(m3ter.stats.tokenRequests).toBe(1)
  })

  it("runs the caller's interceptors once per call, the retry hidden below them", async () => {
    attachM3terAuth(api, auth)
    const seen: string[] = []
    api.interceptors.request.use((config) => {
      seen.push(`request ${config.method}`)
      return config
    })
    // A common pattern that breaks when a retry re-enters instance.request: unwrapping data twice.
    api.interceptors.response.use((res) => {
      seen.push(`response ${res.status}`)
      return res.data
    })
    expect(await api.get(url('/meters?pageSize=1'))).toMatchObject({ data: [expect.any(Object)] })
    seen.length = 0
    m3ter.revokeAll()
    const data = await api.post(url('/echo'), { a: 1 })
    expect((data as unknown as { body: string }).body).toBe('{"a":1}')
    expect(seen).toEqual(['request post', 'response 200'])
    expect(m3ter.stats.tokenRequests).toBe(2)
  })

  it('a second 403 is the usual AxiosError; validateStatus that accepts it gets the response', async () => {
    attachM3terAuth(api, auth)
    await api.get(url('/meters'))
    m3ter.faults.inject('api', { kind: 'status', status: 403, body: '{"message":"no"}' }, { times: 2 })
    const error = (await api.get(url('/meters')).catch((e: unknown) => e)) as AxiosError
    expect(axios.isAxiosError(error)).toBe(true)
    expect(error.response?.status).toBe(403)
    expect(error.response?.data).toEqual({ message: 'no' })
    // The route refused a fresh token too, so its next 403 is taken as a permission answer: sent once.
    m3ter.faults.inject('api', { kind: 'status', status: 403 })
    expect((await api.get(url('/meters'), { validateStatus: () => true })).status).toBe(403)
    expect(m3ter.stats.apiRequests).toBe(4)
  })

  it("does not mutate the caller's config, and a config re-sent by the caller is retried only once", async () => {
    attachM3terAuth(api, auth)
    await api.get(url('/meters'))
    const config = { url: url('/echo'), method: 'post', data: { n: 1 }, headers: { 'x-mine': 'yes' } }
    const snapshot = structuredClone(config)
    m3ter.revokeAll()
    expect((await api.request(config)).status).toBe(200)
    expect(config).toEqual(snapshot)
    // axios-retry and hand-written retries re-send error.config: it must not carry a stale bearer or a
    // second layer of retry.
    m3ter.faults.inject('api', { kind: 'status', status: 503 })
    const error = (await api.request(config).catch((e: unknown) => e)) as AxiosError
    expect(error.response?.status).toBe(503)
    m3ter.faults.inject('api', { kind: 'status', status: 403 }, { times: 2 })
    const again = (await api.request(error.config!).catch((e: unknown) => e)) as AxiosError
    expect(again.response?.status).toBe(403)
    expect(m3ter.log.filter((e) => e.origin === 'api').map((e) => e.status)).toEqual([
      200, 403, 200, 503, 403, 403,
    ])
  })

  it("leaves out-of-scope requests exactly as made, the caller's Authorization included", async () => {
    attachM3terAuth(api, auth)
    await api.get(`${foreign.url}/x`, { headers: { Authorization: 'Basic dXNlcjpwdw==' } })
    await api.get('/y', { baseURL: foreign.url })
    expect(foreign.requests.map((r) => r.headers.authorization)).toEqual(['Basic dXNlcjpwdw==', undefined])
    expect(m3ter.stats.tokenRequests).toBe(0)
    // baseURL in scope, relative url: in scope.
    expect((await api.get('meters', { baseURL: url('') })).status).toBe(200)
  })
})
