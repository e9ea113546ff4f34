import { inspect } from 'node:util'
import { m3terAuth } from '@m3ter-auth/ky'
import type { ConformanceOptions } from '@m3ter-auth/testkit/vitest'

type KyModule = { extend(options: object): (url: string, options?: object) => Promise<Response> }

/** What only ky has: its own error classes, which carry ky's Request. */
export function kyConformance(ky: KyModule): ConformanceOptions {
  return {
    additionalTests({ test, harness, expect }) {
      test(
        '4.10',
        "ky's TimeoutError and HTTPError show no bearer, even to inspect with showHidden",
        async () => {
          const h = await harness()
          const client = ky.extend({ ...m3terAuth(h.auth), retry: { limit: 0 } })
          expect((await h.settle(client(h.api('/meters')))).status).toBe(200)
          // ky's own timer (1 ms) ends a request the mock holds: a TimeoutError made by ky, not by us.
          h.m3ter.faults.inject('api', { kind: 'hold' })
          const timeout = await client(h.api('/meters'), { timeout: 1 }).catch((e: unknown) => e)
          h.m3ter.faults.release()
          expect((timeout as Error).name).toBe('TimeoutError')
          h.m3ter.faults.inject('api', { kind: 'status', status: 500 })
          const http = await client(h.api('/meters')).catch((e: unknown) => e)
          expect((http as Error).name).toBe('HTTPError')
          const [token] = h.m3ter.issuedTokens
          for (const error of [timeout, http])
            for (const view of [JSON.stringify(error), inspect(error), inspect(error, { showHidden: true })])
              expect(view).not.toContain(token)
        },
      )
    },
  }
}
