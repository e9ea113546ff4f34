import { isTokenRejected, type TokenProvider } from '@m3ter-auth/core'
import type { Dispatcher } from 'undici'

type Dispatch = Dispatcher['dispatch']
type Options = Dispatcher.DispatchOptions
type Handler = Dispatcher.DispatchHandler
type Controller = Dispatcher.DispatchController
type Headers = Options['headers']

// The request-local mark: a dispatch this interceptor made (first try or retry) is never handled again,
// even by a second copy of it further down the chain (Symbol.for: duplicated installs agree).
const HANDLED = Symbol.for('m3ter-auth.undici.handled')

/**
 * An undici interceptor that puts `Authorization: Bearer <token>` on requests to the provider's scope and,
 * after a 401/403 from such a URL, refreshes the token and retries the request once. The bearer is decided
 * for each dispatch by its own origin, so with `interceptors.redirect` listed after this interceptor every
 * redirect hop is judged anew and another origin never gets the bearer. In scope, the provider's bearer
 * replaces any Authorization the caller set; requests out of scope pass through untouched.
 *
 * Works with undici 7 and 8 (the handler API both share: `onRequestStart`, `onResponseStart`, ...), with
 * `Dispatcher.compose` and as the dispatcher of undici's fetch. Bodies that can be sent twice (string,
 * Buffer/Uint8Array, ArrayBuffer, FormData, Blob, none) are retried; streams and async iterables, which is
 * every body undici's fetch dispatches, are not: the caller gets the first 401/403.
 *
 * @example
 * ```ts
 * import { Agent, interceptors, request } from 'undici'
 * import { createTokenProvider } from '@m3ter-auth/core'
 * import { m3terAuthInterceptor } from '@m3ter-auth/undici'
 *
 * const auth = createTokenProvider({ credentials: { accessKeyId: 'key', apiSecret: 'secret' } })
 * const dispatcher = new Agent().compose(m3terAuthInterceptor(auth), interceptors.redirect({ maxRedirections: 3 }))
 * const { statusCode, body } = await request('https://api.m3ter.com/organizations/ORG/meters', { dispatcher })
 * ```
 */
export function m3terAuthInterceptor(auth: TokenProvider): Dispatcher.DispatcherComposeInterceptor {
  // Scope is a property of the origin alone (scheme, host, port: see core's scope policy), so each origin
  // is judged once; parsing a URL per request costs more than the rest of the interceptor together.
  const judged = new Map<string, boolean>()
  const inScope = (origin: Options['origin']): boolean => {
    if (origin === undefined) return false
    const key = String(origin)
    let verdict = judged.get(key)
    if (verdict === undefined) {
      verdict = auth.inScope(new URL('/', key))
      if (judged.size >= 64) judged.clear()
      judged.set(key, verdict)
    }
    return verdict
  }
  return (next) =>
    // Exactly two declared parameters: compose() rejects a dispatch function of any other length.
    function m3terAuthDispatch(opts, handler) {
      // Read the caller's options once, by copying them, and from then on read the copy. On Node 20 the
      // options undici's request()/fetch build (a spread plus extra keys) are slow to read: each property
      // read costs hundreds of nanoseconds, a missing one (the mark, a body) the most; the copy is an
      // ordinary fast object. The caller's object itself still goes on, untouched, when we pass.
      const own: Marked = Object.assign({}, opts)
      if (own[HANDLED] || !inScope(own.origin)) {
        return next(opts, handler)
      }
      new AuthorizedRequest(auth, next, own, handler).start()
      return true
    } satisfies Dispatch
}

type Progress = Partial<
  Record<'onBodySent' | 'onRequestSent' | 'onResponseStarted', (...args: unknown[]) => void>
>

type Marked = Options & { [HANDLED]?: true }

/**
 * One in-scope request, across its (at most two) attempts. The caller's handler sees one request: one
 * `onRequestStart`, given a controller that follows whichever attempt is live, and one response.
 */
class AuthorizedRequest implements Handler {
  #live: Controller | undefined
  #failure: Error | undefined
  #token = ''
  #retryable: boolean
  #discarding = false
  #history: readonly URL[] | undefined

  constructor(
    private readonly auth: TokenProvider,
    private readonly next: Dispatch,
    // Our own copy of the caller's options (see m3terAuthDispatch): the first attempt sends it, a retry a
    // copy of it. What later steps need from the caller's options is kept aside before the first send.
    private readonly opts: Marked,
    private readonly handler: Handler,
  ) {
    // Upgrades are answered once; other bodies only when they can be sent again.
    this.#retryable = !opts.upgrade && isReplayableBody(opts.body)
    this.#headers = opts.headers
    this.#origin = opts.origin
  }

  readonly #headers: Headers
  readonly #origin: Options['origin']
  #sent = false

  start(): void {
    // Given before the token wait, so an AbortSignal of the caller (request(), fetch) can end that wait.
    this.handler.onRequestStart?.(this.#controller, {})
    this.#attempt()
  }

  readonly #controller: Controller = new FollowingController(this)

  /** The live attempt's controller, if one is running. */
  get live(): Controller | undefined {
    return this.#live
  }

  get failure(): Error | undefined {
    return this.#failure
  }

  fail(error: Error): void {
    if (this.#failure) return
    this.#failure = error
    this.handler.onResponseError?.(this.#controller, error)
  }

  #attempt(): void {
    this.auth.getToken().then(
      (token) => {
        if (this.#failure) return
        this.#token = token
        // The first attempt sends our copy as it is (one copy per request); a retry sends a fresh copy, as the
        // first may still be held below. Object.assign and stores rather than a spread with extra keys: on
        // Node 20 that spread form takes V8's slow path (about a microsecond).
        const opts = this.#sent ? Object.assign({}, this.opts) : this.opts
        this.#sent = true
        opts.headers = withAuthorization(this.#headers, bearerOf(token))
        opts[HANDLED] = true
        try {
          this.next(opts, this)
        } catch (error) {
          this.onResponseError(undefined, error as Error)
        }
      },
      (error: Error) => this.fail(error),
    )
  }

  onRequestStart(controller: Controller, context: unknown): void {
    this.#live = controller
    // Outside a redirect interceptor, the hops' URLs arrive here; the last is the one that answers.
    const history = (context as { history?: unknown } | null)?.history
    this.#history = Array.isArray(history) ? history : undefined
  }

  onRequestUpgrade(controller: Controller, statusCode: number, headers: never, socket: never): void {
    this.handler.onRequestUpgrade?.(controller, statusCode, headers, socket)
  }

  onResponseStart(controller: Controller, statusCode: number, headers: never, statusMessage?: string): void {
    if (isTokenRejected(statusCode) && this.#answeredByUs()) {
      this.auth.invalidate(this.#token)
      if (this.#retryable) {
        // Read the refused answer to its end without passing it on, so its keep-alive socket is reused.
        this.#discarding = true
        return
      }
    }
    this.handler.onResponseStart?.(controller, statusCode, headers, statusMessage)
  }

  onResponseData(controller: Controller, chunk: never): void {
    if (!this.#discarding) this.handler.onResponseData?.(controller, chunk)
  }

  onResponseEnd(controller: Controller, trailers: never): void {
    if (!this.#discarding) {
      this.handler.onResponseEnd?.(controller, trailers)
      return
    }
    this.#discarding = false
    this.#retryable = false
    this.#live = undefined
    this.#attempt()
  }

  onResponseError(controller: Controller | undefined, error: Error): void {
    this.handler.onResponseError?.(controller ?? this.#controller, error)
  }

  // Progress callbacks whose signatures differ between majors: passed on with whatever they carry.
  onBodySent(...args: unknown[]): void {
    ;(this.handler as Progress).onBodySent?.(...args)
  }

  onRequestSent(...args: unknown[]): void {
    ;(this.handler as Progress).onRequestSent?.(...args)
  }

  onResponseStarted(...args: unknown[]): void {
    ;(this.handler as Progress).onResponseStarted?.(...args)
  }

  // When a redirect interceptor sits inside this one, the hop that answered may be on another origin,
  // which the redirect handler stripped the bearer for: its 401/403 says nothing about the token.
  #answeredByUs(): boolean {
    const last = this.#history?.[this.#history.length - 1]
    return last === undefined || new URL(String(last)).origin === new URL(String(this.#origin)).origin
  }
}

/**
 * What the caller's handler holds: it follows the live attempt, and between attempts (the token wait) an
 * abort ends the request here instead of reaching nothing.
 */
class FollowingController implements Controller {
  constructor(private readonly request: AuthorizedRequest) {}

  abort(reason: Error): void {
    const live = this.request.live
    if (live) live.abort(reason)
    else this.request.fail(reason)
  }

  pause(): void {
    this.request.live?.pause()
  }

  resume(): void {
    this.request.live?.resume()
  }

  get aborted(): boolean {
    return this.request.live?.aborted ?? this.request.failure !== undefined
  }

  get paused(): boolean {
    return this.request.live?.paused ?? false
  }

  get reason(): Error | null {
    return this.request.live?.reason ?? this.request.failure ?? null
  }
}

// The header value of the last token, built once: every request until the next refresh reuses the one
// string instead of concatenating (and later flattening) a fresh one.
let lastToken = ''
let lastBearer = ''
function bearerOf(token: string): string {
  if (token !== lastToken) {
    lastBearer = `Bearer ${token}`
    lastToken = token
  }
  return lastBearer
}

/**
 * A copy of `headers` in the same shape with the bearer in place of any Authorization the caller set; the
 * caller's object is never written.
 */
function withAuthorization(headers: Headers, value: string): NonNullable<Headers> {
  if (headers === null || headers === undefined) return { authorization: value }
  if (!Array.isArray(headers) && !isIterable(headers)) {
    const record: Record<string, string | string[] | undefined> = { authorization: value }
    for (const name in headers) if (!isAuthorization(name)) record[name] = headers[name]
    return record
  }
  // Flat [name, value, ...] lists: the one shape every undici major's redirect handler strips correctly.
  const flat: string[] = []
  for (const [name, v] of Array.isArray(headers) ? pairs(headers) : headers) {
    if (v === undefined || isAuthorization(name)) continue
    for (const one of Array.isArray(v) ? v : [v]) flat.push(name, one)
  }
  flat.push('authorization', value)
  return flat
}

type Pair = [string, string | string[] | undefined]

// undici takes arrays both flat ([name, value, ...]) and as [name, value] pairs.
function* pairs(list: readonly unknown[]): Generator<Pair> {
  if (Array.isArray(list[0])) {
    for (const pair of list as Pair[]) yield pair
    return
  }
  for (let i = 0; i + 1 < list.length; i += 2) yield [String(list[i]), list[i + 1] as string]
}

function isIterable(value: object): value is Iterable<Pair> {
  return typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function'
}

function isAuthorization(name: unknown): boolean {
  return typeof name === 'string' && name.length === 13 && name.toLowerCase() === 'authorization'
}

/** Bodies undici can write again; Readable streams and async iterables are consumed by the first write. */
function isReplayableBody(body: unknown): boolean {
  if (body === undefined || body === null || typeof body === 'string') return true
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return true
  const tag = Object.prototype.toString.call(body)
  return tag === '[object FormData]' || tag === '[object Blob]' || tag === '[object File]'
}
