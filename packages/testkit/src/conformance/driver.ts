import type { TokenProvider } from '@m3ter-auth/core'

/**
 * One request as the conformance suite asks an adapter's client to send it.
 *
 * @example
 * ```ts
 * const req: DriverRequest = { method: 'POST', url, body: { kind: 'text', text: '{}', contentType: 'application/json' } }
 * ```
 */
export interface DriverRequest {
  method: string
  url: string
  headers?: Record<string, string>
  /** The body, in the client's native form of each kind; every kind but 'stream' can be sent twice. */
  body?: DriverBody
  signal?: AbortSignal
}

/**
 * A request body by kind. `text` is a string; `json` is the client's JSON facility given `JSON.parse(text)`
 * (or the text with its content-type where the client has none); `urlencoded` is `new URLSearchParams(text)`
 * (or its string form with `application/x-www-form-urlencoded` where the client takes no URLSearchParams);
 * `bytes` is the UTF-8 of `text` as a Uint8Array/Buffer; `form` is a FormData holding the fields of
 * `new URLSearchParams(text)`; `stream` is a one-shot stream in the client's native form (ReadableStream /
 * Readable).
 *
 * @example
 * ```ts
 * const body: DriverBody = { kind: 'urlencoded', text: 'a=1&b=%C3%A9' }
 * ```
 */
export interface DriverBody {
  kind: 'text' | 'json' | 'urlencoded' | 'bytes' | 'form' | 'stream'
  text: string
  contentType?: string
}

/**
 * The answer as the client saw it; header names lower-cased.
 *
 * @example
 * ```ts
 * const answer: DriverResponse = { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() }
 * ```
 */
export interface DriverResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * An adapter's client, wrapped so the suite can drive it.
 *
 * @example
 * ```ts
 * const driver: AdapterDriver = {
 *   async request(req) {
 *     const res = await authedFetch(req.url, { method: req.method, headers: req.headers, body: req.body?.text })
 *     return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() }
 *   },
 * }
 * ```
 */
export interface AdapterDriver {
  /** Resolves with any HTTP status (never throws for 4xx/5xx; client retries disabled); rejects only when there is no answer, e.g. a token failure surfaced through the client's error path. */
  request(req: DriverRequest): Promise<DriverResponse>
  close?(): Promise<void>
}

/**
 * Builds a driver around a provider; called once per test.
 *
 * @example
 * ```ts
 * const makeDriver: MakeDriver = (auth) => fetchDriver(withM3terAuth(auth))
 * ```
 */
export type MakeDriver = (auth: TokenProvider) => AdapterDriver | Promise<AdapterDriver>
