import { bodyBytes, MAX_BODY_BYTES } from './body-size.ts'
import { isTokenRejected } from './rejection-policy.ts'
import { isTokenEndpoint } from './token-path.ts'
import type { TokenProvider } from './token-provider.ts'

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
  /** The token the provider serves at once, without a wait or a transition; undefined when it has none. */
  readonly held: () => string | undefined
  readonly tokenUrl: string | undefined
  /** Routes where a new token did not help, keyed by status and route (see keyOf). */
  readonly refused: Map<string, Refusal>
  /** When new tokens were asked for a 401 or a 403 and not shown to help, per status (the last 5 hours). */
  readonly spent: { readonly 401: number[]; readonly 403: number[] }
  /** Tokens this policy dropped: a 401/403 for one of them is stale, the retry needs no new token. */
  readonly dropped: Set<string>
  /** The status of the last new token asked for, until a retry shows it helped (then it costs nothing). */
  lastDrop: 401 | 403 | undefined
}

/** A route that refused a new token too: how often, and until when its 401s/403s are passed on. */
interface Refusal {
  count: number
  heldUntil: number
  /** The token last refused here (none yet: undefined): concurrent retries with one token count once. */
  token: string | undefined
}

const TOKENS_KEPT = 4
const ROUTES_KEPT = 512
/** New tokens that did not help, per status, in any BUDGET_WINDOW_MS. */
const BUDGET = 3
/** m3ter's token lifetime: the budget's window and the longest hold of a route. */
const BUDGET_WINDOW_MS = 5 * 60 * 60 * 1000
/** The first hold of a route that refused a new token; each further refusal doubles it. */
const FIRST_HOLD_MS = 60_000
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
  options: {
    readonly tokenUrl?: string
    readonly now?: () => number
    readonly held?: () => string | undefined
  },
): void {
  memories.set(auth, newMemory(options.tokenUrl, options.now ?? Date.now, options.held))
}

const NONE_HELD = () => undefined

function newMemory(
  tokenUrl: string | undefined,
  now: () => number,
  held: () => string | undefined = NONE_HELD,
): PolicyMemory {
  return {
    now,
    held,
    tokenUrl,
    refused: new Map(),
    spent: { 401: [], 403: [] },
    dropped: new Set(),
    lastDrop: undefined,
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
 * The token a provider made by `createTokenProvider` holds fresh (before its refresh point), or undefined
 * when a caller would have to go through `getToken` (no token yet, refresh due, closed; a provider of one's
 * own). Synchronous, so that an adapter whose client has a synchronous path (axios's synchronous request
 * interceptors) keeps it on the hot path; counted like a `getToken` answered at once.
 *
 * @example
 * ```ts
 * const token = heldToken(auth) ?? (await auth.getToken())
 * ```
 */
export function heldToken(auth: TokenProvider): string | undefined {
  return memoryOf(auth).held()
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
 * passed here, 2xx included: a retry that worked shows the new token helped.
 *
 * The rule (docs/contract.md §4.5). A route is the method, the origin and the path up to the resource
 * (`/organizations/{orgId}/{resource}`; m3ter grants rights per resource), so `/meters/m-1` and `/meters/m-2`
 * are one route. For a 401 or 403 that carried the current token:
 *
 * - On a route that has never refused a new token with that status: the token is dropped and the request
 *   retried once with a new one, always. m3ter says 403 for an expired or revoked bearer, so after any history
 *   (forbidden routes, unknown organisations, flapping 403s, a proxy's 401s) a revocation is recovered at
 *   the first call that meets it.
 * - On a route that refused a new token too (a route the key may not use, an unknown organisation, a 403
 *   that comes and goes, a proxy that answers 401): the answer goes to the caller as it came. The route gets
 *   another new token only after a hold (1 minute, doubling with each refusal up to 5 hours) and only while
 *   fewer than 3 new tokens for that status were asked for in the last 5 hours and not shown to help.
 * - A new token whose retry answers 2xx helped (a revocation): it does not count against those 3.
 * - A token already dropped (requests that were in flight together): retried with the current token, no
 *   new token asked for: one refresh however many requests failed together.
 * - A body that cannot be sent twice is never retried: the caller gets the first answer. The token is still
 *   dropped as above, and the route is held as if the new token had not helped, since nothing will tell.
 *   An ingest body of {@link MAX_BODY_BYTES} or more answered 403 is m3ter's size limit: passed on, the
 *   token kept.
 * - A 401/403 from another origin than the one asked, or from an origin the client cannot tell, never saw
 *   our bearer: passed on. So is the answer to our retry: never a loop.
 *
 * So 401/403s cost at most 3 token requests per status in any 5 hours, plus one the first time each
 * route refuses a new token, plus one per real revocation.
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
    if (answer.retried) newTokenHelped(memory)
    return 'pass'
  }
  if (!isTokenRejected(status) || answer.answeredFrom !== 'asked') return 'pass'
  if (answer.retried) {
    refreshDidNotHelp(memory, answer, token)
    return 'pass'
  }
  const size = bodyBytes(answer.body)
  // m3ter's answer to a body it will never take: the token is not in question.
  if (status === 403 && (size ?? answer.contentLength ?? 0) >= MAX_BODY_BYTES) return 'pass'
  if (!shouldDrop(memory, token, answer)) return 'pass'
  // A body of unknown size is one that cannot be sent twice.
  const replayable = (size ?? MAX_BODY_BYTES) < MAX_BODY_BYTES
  if (auth.invalidate(token)) {
    spend(memory, token, status)
    // No retry will say whether the new token helps on this route: assume it does not.
    if (!replayable) refreshDidNotHelp(memory, answer, token)
  }
  return replayable ? 'retry' : 'invalidate'
}

function shouldDrop(memory: PolicyMemory, token: string, answer: RequestAnswer): boolean {
  // A token already dropped: the retry takes the current one, no new token is asked for.
  if (memory.dropped.has(token)) return true
  const refusal = memory.refused.get(keyOf(answer))
  // Never refused a new token: this may be a revocation, and a revocation is always worth one.
  if (!refusal) return true
  return memory.now() >= refusal.heldUntil && budgetLeft(memory, answer.status)
}

function spend(memory: PolicyMemory, token: string, status: number): void {
  remember(memory.dropped, token)
  const rejected = status === 401 ? 401 : 403
  memory.spent[rejected].push(memory.now())
  memory.lastDrop = rejected
}

function budgetLeft(memory: PolicyMemory, status: number): boolean {
  const spent = memory.spent[status === 401 ? 401 : 403]
  const since = memory.now() - BUDGET_WINDOW_MS
  // Oldest first; an empty list has nothing older than the window.
  while ((spent[0] ?? Number.POSITIVE_INFINITY) <= since) spent.shift()
  return spent.length < BUDGET
}

// A retry that worked: the token was revoked, and the new one it cost is not charged to the budget.
function newTokenHelped(memory: PolicyMemory): void {
  const status = memory.lastDrop
  if (status === undefined) return
  memory.lastDrop = undefined
  // Every spend sets lastDrop, so its entry is the newest of its list, at the end; unless the window expired
  // it, and then every older entry with it: the list is empty, and there is nothing to give back.
  memory.spent[status].pop()
}

// This route refuses a new token too: hold it, longer each time, up to a token lifetime.
function refreshDidNotHelp(memory: PolicyMemory, answer: RequestAnswer, token: string): void {
  const key = keyOf(answer)
  const refusal = memory.refused.get(key) ?? { count: 0, heldUntil: 0, token: undefined }
  if (refusal.token === token) return
  memory.refused.delete(key)
  refusal.token = token
  refusal.count += 1
  const hold = Math.min(FIRST_HOLD_MS * 2 ** Math.min(refusal.count - 1, 20), BUDGET_WINDOW_MS)
  refusal.heldUntil = memory.now() + hold
  // Most recently refused last: the oldest entry is the one forgotten.
  memory.refused.set(key, refusal)
  if (memory.refused.size > ROUTES_KEPT) memory.refused.delete(memory.refused.keys().next().value as string)
}

// Only the last few tokens matter: older ones are long replaced.
function remember(tokens: Set<string>, token: string): void {
  tokens.add(token)
  if (tokens.size > TOKENS_KEPT) tokens.delete(tokens.values().next().value as string)
}

// A 401 (a proxy, a gateway) and a 403 (m3ter) on one route are told apart: a proxy's 401s do not hide a
// revocation that m3ter answers 403.
function keyOf(answer: RequestAnswer): string {
  return `${answer.status} ${routeOf(answer)}`
}

// Method, origin and path up to the resource: the query (page tokens, filters) and the id do not change what
// a key may use.
function routeOf(answer: RequestAnswer): string {
  const href = String(answer.url)
  const end = href.search(/[?#]/)
  const path = end === -1 ? href : href.slice(0, end)
  const resource = RESOURCE.exec(path)
  // Stryker disable next-line MethodExpression: equivalent, upper or lower case fold the ASCII method tokens (RFC 9110) alike
  return `${answer.method.toUpperCase()} ${resource ? resource[0] : path}`
}

const RESOURCE = /^[^?#]*?\/organizations\/[^/]+\/[^/]+/
