import { inspect } from 'node:util'
import { attachM3terAuth } from '@m3ter-auth/axios'
import { findM3terAuthError } from '@m3ter-auth/core'
import { axiosDriver } from '@m3ter-auth/drivers'
import {
  type ConformanceOptions,
  describeAdapterConformance,
  type SuiteContext,
} from '@m3ter-auth/testkit/vitest'
import axios, { type AxiosAdapter } from 'axios'

/** What only axios has: its response objects, its cancel errors. Run for both of its Node adapters. */
const axiosOnly = (adapter: 'http' | 'fetch'): ConformanceOptions => ({
  additionalTests({ test, harness, expect }: SuiteContext) {
    test('4.10', `a successful ${adapter} response shows no bearer when logged`, async () => {
      const h = await harness()
      const api = axios.create({ adapter: adapter as unknown as AxiosAdapter })
      attachM3terAuth(api, h.auth)
      const res = await h.settle(api.get(h.api('/meters?pageSize=1')))
      expect(res.status).toBe(200)
      const [token] = h.m3ter.issuedTokens
      for (const view of [inspect(res), inspect(res, { showHidden: true }), JSON.stringify(res.config)])
        expect(view).not.toContain(token)
      // Still there for code that reads it.
      expect(res.request).toBeDefined()
    })

    test('4.12', `an abort during the token wait is an axios CanceledError caused by 'aborted'`, async () => {
      const h = await harness()
      const api = axios.create({ adapter: adapter as unknown as AxiosAdapter })
      attachM3terAuth(api, h.auth)
      h.m3ter.faults.inject('token', { kind: 'hold' })
      const controller = new AbortController()
      const pending = api.get(h.api('/meters'), { signal: controller.signal }).catch((e: unknown) => e)
      await h.until(() => h.m3ter.faults.held() === 1, 'the held token request')
      controller.abort()
      const error = await pending
      expect(axios.isCancel(error)).toBe(true)
      expect(findM3terAuthError(error)?.code).toBe('aborted')
      h.m3ter.faults.release()
    })
  },
})

describeAdapterConformance(
  'axios 1 (Node http adapter)',
  (auth) => {
    const instance = axios.create()
    attachM3terAuth(instance, auth)
    return axiosDriver(instance)
  },
  axiosOnly('http'),
)

describeAdapterConformance(
  'axios 1 (fetch adapter)',
  (auth) => {
    const instance = axios.create({ adapter: 'fetch' })
    attachM3terAuth(instance, auth)
    return axiosDriver(instance)
  },
  axiosOnly('fetch'),
)
