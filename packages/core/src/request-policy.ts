import { bodyBytes, MAX_BODY_BYTES } from './body-size.ts'
import type { TokenProvider } from './provider.ts'
import { isTokenRejected } from './rejection-policy.ts'
import { isTokenEndpoint } from './token-path.ts'

export { canSendTwice, MAX_BODY_BYTES } from './body-size.ts'

/**
 * What a client's answer means for the token: `'pass'` hand it on as it is; `'retry'` the token was
 * invalidated, send the request once more with a new one; `'invalidate'` the token was invalidated but
 * the body cannot be sent again, so hand the answer on.
 *
 * @example
 * ```ts
 * if (judgeAnswer(auth, answer) === 'retry') return send(again)
 * ```
 */
export type Verdict = 'pass' | 'retry' | 'invalidate'

/**
 * Where an answer came from: the origin that was asked, `'other'` after a redirect to another origin (which
 * never saw the bearer), `'unknown'` when the client cannot tell.
 *
 * @example
 * ```ts
 * const from: AnsweredFrom = response.redirected ? answeredFrom(asked, response.url) : 'asked'
 * ```
 */
export type AnsweredFrom = 'asked' | 'other' | 'unknown'

/**
 * One answer as an adapter saw it, for {@link judgeAnswer}.
 *
 * @example
 * ```ts
 * const answer: RequestAnswer = { method: 'GET', url, status: 403, token, answeredFrom: 'asked' }
 * ```
 */
export interface RequestAnswer {
  readonly method: string
  /** The URL that was asked (not a redirect target). */
  readonly url: string | URL
  readonly status: number
  /** The token this request carried; undefined when it carried none of ours. */
  readonly token: string | undefined
  readonly answeredFrom: AnsweredFrom
  /** The body a retry would send. Read only for a 401/403, so a getter can build it lazily. */
  readonly body?: unknown
  /** The request's declared length (content-length), for a body whose size cannot be read. */
  readonly contentLength?: number | undefined
  /** True for the answer to our one retry: it is never retried again. */
  readonly retried?: boolean
}

/** What one provider's policy remembers; time comes from the provider's own clock. */
interface PolicyMemory {
  readonly now: () => number
  readonly tokenUrl: string | undefined
  /** Routes (method, origin, path) that answered 2xx for this Service User, and still do. */
  readonly worked: Set<string>
  /** Tokens dropped once for a 403 on a route that had never worked: one such refresh per token. */
  readonly blind: Set<string>
  /** Tokens this policy dropped: a 403 for one of them is stale, the retry needs no refresh. */
  readonly dropped: Set<string>
  /** Wait after a refresh that did not help before the next blind one; 0 until one failed. */
  waitMs: number
  notBefore: number
  /** The token whose refused retry last grew the wait (concurrent retries grow it once). */
  grewFor: string | undefined
}

const TOKENS_KEPT = 4
const ROUTES_KEPT = 512
const DEFAULT_LIFETIME_MS = 5 * 60 * 60 * 1000
const memories = new WeakMap<TokenProvider, PolicyMemory>()

/**
 * Gives a provider's request policy its clock and token endpoint. `createTokenProvider` calls it; a
 * provider of your own may too (otherwise `Date.now` and no token endpoint are assumed).
 *
 * @example
 * ```ts
 * registerRequestPolicy(myProvider, { tokenUrl: 'https://api.m3ter.com/oauth/token', now: () => clock.now() })
 * ```
 */
export function registerRequestPolicy(
  auth: TokenProvider,
  options: { readonly tokenUrl?: string; readonly now?: () => number },
): void {
  memories.set(auth, newMemory(options.tokenUrl, options.now ?? Date.now))
}

function newMemory(tokenUrl: string | undefined, now: () => number): PolicyMemory {
  return {
    now,
    tokenUrl,
    worked: new Set(),
    blind: new Set(),
    dropped: new Set(),
    waitMs: 0,
    notBefore: 0,
    grewFor: undefined,
  }
}

function memoryOf(auth: TokenProvider): PolicyMemory {
  let memory = memories.get(auth)
  if (!memory) {
    memory = newMemory(undefined, Date.now)
    memories.set(auth, memory)
  }
  return memory
}

/**
 * The header value for a token.
 *
 * @example
 * ```ts
 * headers.set('authorization', bearerHeader(await auth.getToken()))
 * ```
 */
export function bearerHeader(token: string): string {
  return `Bearer ${token}`
}

/**
 * The token of a `Bearer` header value, or undefined for anything else (Basic, none, a list).
 *
 * @example
 * ```ts
 * // In an axios response interceptor: which token did this request carry?
 * const token = tokenOfHeader(response.config.headers.Authorization)
 * ```
 */
export function tokenOfHeader(value: unknown): string | undefined {
  return typeof value === 'string' && /^bearer /i.test(value) ? value.slice(7) : undefined
}

/**
 * Should this request get our bearer? Only when its URL is in the provider's scope, it is not a request to
 * the provider's own token endpoint, and it does not carry its own `Authorization: Basic` (a token request
 * of another client, such as m3ter's own SDK, posting through the same fetch).
 *
 * @example
 * ```ts
 * if (!shouldAuthorize(auth, url, headers.get('authorization'))) return send(request)
 * ```
 */
export function shouldAuthorize(auth: TokenProvider, url: string | URL, authorization?: unknown): boolean {
  if (typeof authorization === 'string' && /^\s*basic\s/i.test(authorization)) return false
  if (!auth.inScope(url)) return false
  return !isTokenEndpoint(memoryOf(auth).tokenUrl, url)
}

/**
 * Compares the origin that answered with the one asked; an empty or unreadable answering URL is `'unknown'`.
 *
 * @example
 * ```ts
 * answeredFrom('https://api.m3ter.com/x', 'https://files.example/y') // 'other'
 * ```
 */
export function answeredFrom(asked: string | URL, answered: string | URL | null | undefined): AnsweredFrom {
  if (answered === undefined || answered === null || answered === '') return 'unknown'
  if (String(answered) === String(asked)) return 'asked'
  try {
    return new URL(String(answered)).origin === new URL(String(asked)).origin ? 'asked' : 'other'
  } catch {
    return 'unknown'
  }
}

/**
 * Decides what an answer means for the token, and drops the token when it says so. Every answer should be
 * passed here, 2xx included: the policy learns which routes a token works on.
 *
 * - 401: the token was refused (RFC 6750): drop it, retry once.
 * - 403 on a route that has answered 2xx for this Service User: the token changed (revoked): drop it,
 *   retry once. A route that refuses the fresh token too is forgotten: its key may no longer use it.
 * - 403 on a route that never worked: m3ter also says 403 for a route the key may not use, an unknown
 *   organisation, a body too large. Such a 403 earns at most one refresh per token; a refresh that did not
 *   help (its retry refused too) makes the next one wait, doubling up to the token's lifetime, or two
 *   lifetimes at once while no route has ever worked (an unknown organisation). A token bad from the start
 *   is still replaced at the first 403.
 * - A 401/403 from another origin than the one asked, or from an origin the client cannot tell, never saw
 *   our bearer: passed on. So is the answer to our retry: never a loop.
 * - A body that cannot be sent twice is never retried: the caller gets the first answer.
 *
 * @example
 * ```ts
 * const verdict = judgeAnswer(auth, { method: 'GET', url, status: res.status, token, answeredFrom: 'asked' })
 * if (verdict === 'retry') res = await send(url, { headers: { authorization: bearerHeader(await auth.getToken()) } })
 * ```
 */
export function judgeAnswer(auth: TokenProvider, answer: RequestAnswer): Verdict {
  const { token, status } = answer
  if (token === undefined) return 'pass'
  const memory = memoryOf(auth)
  if (status >= 200 && status < 300) {
    learn(memory, answer)
    return 'pass'
  }
  if (!isTokenRejected(status) || answer.answeredFrom !== 'asked') return 'pass'
  if (answer.retried) {
    refreshDidNotHelp(auth, memory, token, answer)
    return 'pass'
  }
  const size = bodyBytes(answer.body)
  // m3ter's answer to a body it will never take: the token is not in question.
  if (status === 403 && (size ?? answer.contentLength ?? 0) >= MAX_BODY_BYTES) return 'pass'
  if (!shouldDrop(memory, token, answer)) return 'pass'
  if (auth.invalidate(token)) remember(memory.dropped, token)
  return size !== undefined && size < MAX_BODY_BYTES ? 'retry' : 'invalidate'
}

function shouldDrop(memory: PolicyMemory, token: string, answer: RequestAnswer): boolean {
  // A token already dropped: the retry takes the current one, no new refresh is asked for.
  if (answer.status === 401 || memory.dropped.has(token)) return true
  if (memory.worked.has(routeOf(answer))) return true
  if (memory.blind.has(token) || memory.now() < memory.notBefore) return false
  remember(memory.blind, token)
  return true
}

function learn(memory: PolicyMemory, answer: RequestAnswer): void {
  if (memory.worked.size < ROUTES_KEPT) memory.worked.add(routeOf(answer))
  // A retry that worked: the refresh helped, so the next 403 is judged afresh.
  if (answer.retried) memory.waitMs = 0
}

function refreshDidNotHelp(
  auth: TokenProvider,
  memory: PolicyMemory,
  token: string,
  answer: RequestAnswer,
): void {
  // This route refuses a fresh token too: the key may no longer use it, so it no longer proves anything.
  const route = routeOf(answer)
  const worked = memory.worked.size > 0 && !(memory.worked.size === 1 && memory.worked.has(route))
  memory.worked.delete(route)
  if (memory.grewFor === token) return
  memory.grewFor = token
  const now = memory.now()
  const expiresAt = auth.snapshot().expiresAt
  const lifetime = expiresAt !== undefined && expiresAt > now ? expiresAt - now : DEFAULT_LIFETIME_MS
  // If no route works for this Service User, nothing suggests another token would: past the regular
  // refresh of this token and a lifetime more, so a lifetime sees at most that refresh and one more.
  memory.waitMs = !worked
    ? 2 * lifetime
    : Math.min(memory.waitMs ? memory.waitMs * 2 : lifetime / 4, lifetime)
  memory.notBefore = now + memory.waitMs
}

// Only the last few tokens matter: older ones are long replaced.
function remember(tokens: Set<string>, token: string): void {
  tokens.add(token)
  if (tokens.size > TOKENS_KEPT) tokens.delete(tokens.values().next().value as string)
}

// Method, origin and path: the query (page tokens, filters) does not change what a key may use.
function routeOf(answer: RequestAnswer): string {
  const href = String(answer.url)
  const end = href.search(/[?#]/)
  return `${answer.method.toUpperCase()} ${end === -1 ? href : href.slice(0, end)}`
}
