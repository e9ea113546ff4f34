import { attachM3terAuth } from '@m3ter-auth/axios'
import type { TokenPool, TokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { m3terAuthHooks } from '@m3ter-auth/got'
import { m3terAuth } from '@m3ter-auth/ky'
import { m3terAuthInterceptor } from '@m3ter-auth/undici'
import axios from 'axios'
import got from 'got'
import ky from 'ky'
import { Agent, request } from 'undici'

/** What the scenario asks of an HTTP client: one request, an answer with any status, the body parsed. */
export interface Driver {
  send(method: 'GET' | 'POST', url: string, options?: SendOptions): Promise<Answer>
  close(): Promise<void>
}

export interface SendOptions {
  /** Sent as JSON. */
  readonly json?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export interface Answer {
  readonly status: number
  readonly body: unknown
}

export const ADAPTERS = ['fetch', 'axios', 'got', 'ky', 'undici'] as const
export type AdapterName = (typeof ADAPTERS)[number]

// Each driver is the few lines a user writes to plug m3ter-auth into that client. Client-side retries are off
// and error statuses are answers, so the mock's counters show exactly what the adapter itself did.
export const drivers: Record<AdapterName, (auth: TokenProvider | TokenPool) => Driver> = {
  fetch(auth) {
    const m3terFetch = withM3terAuth(auth)
    return {
      async send(method, url, options = {}) {
        const res = await m3terFetch(url, { method, ...jsonInit(options) })
        return { status: res.status, body: parse(await res.text()) }
      },
      close: async () => {},
    }
  },

  axios(auth) {
    const api = axios.create({ validateStatus: () => true })
    attachM3terAuth(api, auth)
    return {
      async send(method, url, options = {}) {
        const res = await api.request({ method, url, data: options.json, headers: { ...options.headers } })
        return { status: res.status, body: res.data }
      },
      close: async () => {},
    }
  },

  got(auth) {
    const api = got.extend({
      hooks: m3terAuthHooks(auth),
      throwHttpErrors: false,
      retry: { limit: 0 },
    })
    return {
      async send(method, url, options = {}) {
        const res = await api(url, {
          method,
          ...(options.json === undefined ? {} : { json: options.json }),
          headers: { ...options.headers },
        })
        return { status: res.statusCode, body: parse(res.body) }
      },
      close: async () => {},
    }
  },

  ky(auth) {
    const api = ky.create({ ...m3terAuth(auth), throwHttpErrors: false, retry: 0 })
    return {
      async send(method, url, options = {}) {
        const res = await api(url, {
          method,
          ...(options.json === undefined ? {} : { json: options.json }),
          headers: { ...options.headers },
        })
        return { status: res.status, body: parse(await res.text()) }
      },
      close: async () => {},
    }
  },

  undici(auth) {
    const dispatcher = new Agent().compose(m3terAuthInterceptor(auth))
    return {
      async send(method, url, options = {}) {
        const res = await request(url, { method, dispatcher, ...jsonInit(options) })
        return { status: res.statusCode, body: parse(await res.body.text()) }
      },
      close: () => dispatcher.close(),
    }
  },
}

function jsonInit(options: SendOptions): { headers: Record<string, string>; body?: string } {
  if (options.json === undefined) return { headers: { ...options.headers } }
  return {
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(options.json),
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
