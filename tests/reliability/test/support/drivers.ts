import { attachM3terAuth } from '@m3ter-auth/axios'
import type { TokenProvider } from '@m3ter-auth/core'
import {
  axiosDriver,
  type Driver as ClientDriver,
  fetchDriver,
  type GotLike,
  gotDriver,
  type KyLike,
  kyDriver,
  undiciDriver,
} from '@m3ter-auth/drivers'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { m3terAuthHooks } from '@m3ter-auth/got'
import { m3terAuth } from '@m3ter-auth/ky'
import { m3terAuthInterceptor } from '@m3ter-auth/undici'
import axios from 'axios'
import got from 'got'
import ky from 'ky'
import * as undici from 'undici'

/** One request as the reliability suite sends it; every adapter gets the same. */
export interface Req {
  readonly method?: string
  readonly url: string
  readonly body?: string
  readonly signal?: AbortSignal
  /**
   * Let the client turn 4xx/5xx into its own error object (AxiosError, got's HTTPError, ky's HTTPError).
   * The leak check wants those objects, since they carry request options and headers.
   */
  readonly throwHttpErrors?: boolean
  /** Follow redirects (default true, the clients' own default). */
  readonly followRedirects?: boolean
}

export interface Res {
  readonly status: number
  readonly body: string
}

/** A real client with the adapter plugged in. Rejects only when there is no answer (or throwHttpErrors). */
export interface Driver {
  readonly adapter: AdapterName
  request(req: Req): Promise<Res>
  close(): Promise<void>
}

export type AdapterName = 'fetch' | 'axios' | 'got 14' | 'ky 1' | 'undici 7'

/**
 * Node 20 majors only. got 16, ky 2 and undici 8 need Node 22 (undici 8 crashes on import on Node 20) and
 * run in the packages' own *.node22 conformance files; the reliability set runs on the machine's Node 20.
 */
export const ADAPTERS: readonly AdapterName[] = ['fetch', 'axios', 'got 14', 'ky 1', 'undici 7']

// Each adapter wired exactly as its README shows, driven by the adapters' shared drivers (tests/drivers),
// which keep the client's own retries off so that every retry counted is the adapter's or the provider's.
const factories: Record<AdapterName, (auth: TokenProvider) => ClientDriver> = {
  fetch: (auth) => fetchDriver(withM3terAuth(auth)),
  axios(auth) {
    const instance = axios.create()
    attachM3terAuth(instance, auth)
    return axiosDriver(instance)
  },
  'got 14': (auth) => gotDriver(got.extend({ hooks: m3terAuthHooks(auth) as never }) as unknown as GotLike),
  'ky 1': (auth) => kyDriver(ky.extend(m3terAuth(auth) as never) as unknown as KyLike),
  // The redirect interceptor is listed after the auth one, so it is the outer one and every hop is judged
  // anew by the auth interceptor (the order the undici README asks for).
  'undici 7': (auth) => undiciDriver(undici, { interceptor: () => m3terAuthInterceptor(auth) }),
}

export function makeDriver(adapter: AdapterName, auth: TokenProvider): Driver {
  const driver = factories[adapter](auth)
  return {
    adapter,
    async request(req) {
      const { status, body } = await driver.request({
        method: req.method ?? 'GET',
        url: req.url,
        ...(req.body === undefined
          ? {}
          : { body: { kind: 'text', text: req.body, contentType: 'application/json' } }),
        ...(req.signal ? { signal: req.signal } : {}),
        ...(req.throwHttpErrors ? { throwHttpErrors: true } : {}),
        ...(req.followRedirects === false ? { followRedirects: false } : {}),
      })
      return { status, body }
    },
    close: () => driver.close(),
  }
}
