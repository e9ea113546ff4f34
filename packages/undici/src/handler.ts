import type { TokenProvider } from '@m3ter-auth/core'
import { answeredFrom, heldToken, judgeAnswer } from '@m3ter-auth/core/internals'
import type { Dispatcher } from 'undici'
import { headerIn } from './headers.ts'

type Dispatch = Dispatcher['dispatch']
type Options = Dispatcher.DispatchOptions
type Handler = Dispatcher.DispatchHandler
type Controller = Dispatcher.DispatchController
type Progress = Partial<
  Record<'onBodySent' | 'onRequestSent' | 'onResponseStarted', (...args: unknown[]) => void>
>

/**
 * The request-local mark: a dispatch this interceptor made (first try or retry) is never handled again,
 * even by a second copy of it further down the chain (Symbol.for: duplicated installs agree).
 *
 * @example
 * ```ts
 * if ((opts as Marked)[HANDLED]) return next(opts, handler) // ours already: pass it on untouched
 * ```
 */
export const HANDLED = Symbol.for('m3ter-auth.undici.handled')

/**
 * Dispatch options with the mark.
 *
 * @example
 * ```ts
 * const own: Marked = Object.assign({}, opts)
 * ```
 */
export type Marked = Options & { [HANDLED]?: true }

/**
 * What one request needs from its interceptor: the provider, and how to sign a copy of the options.
 *
 * @example
 * ```ts
 * const signer: Signer = { auth, url, sign: (opts, token) => (opts.headers = withAuthorization(opts.headers, bearerHeader(token))) }
 * ```
 */
export interface Signer {
  readonly auth: TokenProvider
  /** The request's URL, as the interceptor judged it (origin and path). */
  readonly url: string
  readonly sign: (opts: Marked, token: string) => void
}

/**
 * One in-scope request, across its (at most two) attempts. The caller's handler sees one request: one
 * `onRequestStart`, given a controller that follows whichever attempt is live, and one response.
 *
 * @example
 * ```ts
 * new AuthorizedRequest(signer, next, own, handler).start()
 * return true // dispatched: the caller's handler hears from the request from now on
 * ```
 */
export class AuthorizedRequest implements Handler {
  #live: Controller | undefined
  #failure: Error | undefined
  #token = ''
  #retried = false
  #sent = false
  #discarding = false
  #history: readonly URL[] | undefined
  readonly #controller: Controller = new FollowingController(this)

  constructor(
    private readonly signer: Signer,
    private readonly next: Dispatch,
    // Our own copy of the caller's options: the first attempt sends it, a retry a copy of it.
    private readonly opts: Marked,
    private readonly handler: Handler,
  ) {}

  start(): void {
    // Given before the token wait, so an AbortSignal of the caller (request(), fetch) can end that wait.
    this.handler.onRequestStart?.(this.#controller, {})
    this.#attempt()
  }

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
    const { signal } = this.opts as { signal?: unknown }
    const aborts = signal instanceof AbortSignal ? signal : undefined
    // A fresh token held: dispatched now, as the bare client would, with no promise or microtask between.
    const held = aborts?.aborted ? undefined : heldToken(this.signer.auth)
    if (held !== undefined) {
      this.#dispatch(held)
      return
    }
    this.signer.auth.getToken({ signal: aborts }).then(
      (token) => this.#dispatch(token),
      (error: Error) => this.fail(error),
    )
  }

  #dispatch(token: string): void {
    if (this.#failure) return
    this.#token = token
    // A retry sends a fresh copy, as the first may still be held below. Object.assign rather than a
    // spread with extra keys: on Node 20 that spread form takes V8's slow path.
    const opts = this.#sent ? Object.assign({}, this.opts) : this.opts
    this.#sent = true
    this.signer.sign(opts, token)
    opts[HANDLED] = true
    try {
      this.next(opts, this)
    } catch (error) {
      this.onResponseError(undefined, error as Error)
    }
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
    const last = this.#history?.[this.#history.length - 1]
    const verdict = judgeAnswer(this.signer.auth, {
      method: this.opts.method,
      url: this.signer.url,
      status: statusCode,
      token: this.#token,
      answeredFrom: last === undefined ? 'asked' : answeredFrom(this.signer.url, String(last)),
      // Upgrades are answered once.
      body: this.opts.upgrade ? ONE_SHOT : this.opts.body,
      contentLength: Number(headerIn(this.opts.headers, 'content-length')) || undefined,
      retried: this.#retried,
    })
    if (verdict === 'retry') {
      // Read the refused answer to its end without passing it on, so its keep-alive socket is reused.
      this.#discarding = true
      return
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
    this.#retried = true
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
}

// A body core's policy never calls replayable.
const ONE_SHOT: unknown = Object.freeze({})

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
