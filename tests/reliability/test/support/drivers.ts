import { attachM3terAuth } from '@m3ter-auth/axios'
import type { TokenProvider } from '@m3ter-auth/core'
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

const json = 'application/json'

// Each factory wires the adapter exactly as its README shows, with the client's own retries off so that
// every retry counted is the adapter's or the provider's.
const factories: Record<AdapterName, (auth: TokenProvider) => Omit<Driver, 'adapter'>> = {
  fetch(auth) {
    const authed = withM3terAuth(auth)
    return {
      async request(req) {
        const res = await authed(req.url, {
          method: req.method ?? 'GET',
          ...(req.body === undefined ? {} : { body: req.body, headers: { 'content-type': json } }),
          ...(req.signal ? { signal: req.signal } : {}),
          redirect: req.followRedirects === false ? 'manual' : 'follow',
        })
        const body = await res.text()
        if (req.throwHttpErrors && res.status >= 400) throw new Error(`fetch answered ${res.status}`)
        return { status: res.status, body }
      },
      close: async () => {},
    }
  },
  axios(auth) {
    const instance = axios.create()
    attachM3terAuth(instance, auth)
    return {
      async request(req) {
        const res = await instance.request<string>({
          method: req.method ?? 'GET',
          url: req.url,
          ...(req.body === undefined ? {} : { data: req.body, headers: { 'content-type': json } }),
          ...(req.signal ? { signal: req.signal } : {}),
          responseType: 'text',
          transformResponse: [(body: unknown) => body],
          ...(req.throwHttpErrors ? {} : { validateStatus: () => true }),
          maxRedirects: req.followRedirects === false ? 0 : 5,
        })
        return { status: res.status, body: String(res.data ?? '') }
      },
      close: async () => {},
    }
  },
  'got 14'(auth) {
    const client = got.extend({ hooks: m3terAuthHooks(auth) as never })
    return {
      async request(req) {
        const res = await client(req.url, {
          method: (req.method ?? 'GET') as 'GET',
          ...(req.body === undefined ? {} : { body: req.body, headers: { 'content-type': json } }),
          ...(req.signal ? { signal: req.signal } : {}),
          throwHttpErrors: req.throwHttpErrors === true,
          followRedirect: req.followRedirects !== false,
          retry: { limit: 0 },
          responseType: 'text',
        })
        return { status: res.statusCode, body: res.body }
      },
      close: async () => {},
    }
  },
  'ky 1'(auth) {
    const client = ky.extend(m3terAuth(auth) as never)
    return {
      async request(req) {
        const res = await client(req.url, {
          method: req.method ?? 'GET',
          ...(req.body === undefined ? {} : { body: req.body, headers: { 'content-type': json } }),
          ...(req.signal ? { signal: req.signal } : {}),
          throwHttpErrors: req.throwHttpErrors === true,
          redirect: req.followRedirects === false ? 'manual' : 'follow',
          retry: { limit: 0 },
        })
        return { status: res.status, body: await res.text() }
      },
      close: async () => {},
    }
  },
  'undici 7'(auth) {
    const agent = new undici.Agent()
    // The redirect interceptor is listed after the auth one, so it is the outer one and every hop is judged
    // anew by the auth interceptor (the order the undici README asks for).
    const following = agent.compose(
      m3terAuthInterceptor(auth),
      undici.interceptors.redirect({ maxRedirections: 3 }),
    )
    const direct = agent.compose(m3terAuthInterceptor(auth))
    // undici's own error object for 4xx/5xx (ResponseError), the counterpart of the other clients' errors.
    const throwing = agent.compose(
      m3terAuthInterceptor(auth),
      undici.interceptors.redirect({ maxRedirections: 3 }),
      undici.interceptors.responseError(),
    )
    return {
      async request(req) {
        const res = await undici.request(req.url, {
          method: (req.method ?? 'GET') as undici.Dispatcher.HttpMethod,
          ...(req.body === undefined ? {} : { body: req.body, headers: { 'content-type': json } }),
          dispatcher: req.throwHttpErrors ? throwing : req.followRedirects === false ? direct : following,
          ...(req.signal ? { signal: req.signal } : {}),
        })
        return { status: res.statusCode, body: await res.body.text() }
      },
      close: () => agent.close(),
    }
  },
}

export function makeDriver(adapter: AdapterName, auth: TokenProvider): Driver {
  return { adapter, ...factories[adapter](auth) }
}
