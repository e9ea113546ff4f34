import type { CredentialsSource } from './credentials.ts'
import { M3terAuthError } from './errors.ts'
import type { M3terAuthEvent } from './events.ts'
import { resolveOptions, type TokenProviderOptions } from './options.ts'
import { POOL_ROUTE, type Routed } from './pool-route.ts'
import {
  createTokenProvider,
  type GetTokenOptions,
  type TokenProvider,
  type TokenSnapshot,
} from './provider.ts'
import { registerRequestPolicy, shouldAuthorize } from './request-policy.ts'

/**
 * Options of {@link createTokenPool}: how to find an organisation's Service User, how many members to keep
 * and for how long, and every option of `createTokenProvider` (but `credentials`), shared by all members.
 *
 * @example
 * ```ts
 * const pool = createTokenPool({
 *   credentialsFor: async (orgId) => (await secrets.get(`m3ter/${orgId}`)) ?? undefined,
 *   maxProviders: 200,
 *   idleMs: 10 * 60_000,
 *   timeoutMs: 5_000, // shared by every member
 * })
 * ```
 */
export interface TokenPoolOptions extends Omit<TokenProviderOptions, 'credentials' | 'onEvent'> {
  /**
   * The Service User of one organisation, asked once when its member is created (a function returned here
   * is asked at each token request, as `credentials` would be). `undefined`: this organisation is not ours,
   * so its requests go out without a bearer.
   */
  readonly credentialsFor: (
    orgId: string,
  ) => CredentialsSource | undefined | Promise<CredentialsSource | undefined>
  /**
   * Members kept at most; past it the least recently used is closed. Default 1,000. An evicted member that a
   * request still holds (a burst to more organisations than this evicts members before their first token; a
   * 401/403 retry) answers from its organisation's current member, never `closed`. Members made again for
   * such requests do not evict others, so a burst may take the pool past this number until the next new
   * organisation's member evicts the least recently used.
   */
  readonly maxProviders?: number
  /** A member unused this long (ms, on the pool's clock) is closed. Default 30 minutes. */
  readonly idleMs?: number
  /** Every member's events, each naming its organisation, and the pool's own. */
  readonly onEvent?: (event: TokenPoolEvent) => void
}

/**
 * What a pool tells `onEvent`: each member's {@link M3terAuthEvent} with its `orgId`, and the pool's own
 * events. None carries a secret, a token or a URL's query.
 *
 * - `pool_member_added`: a member was created for an organisation;
 * - `pool_member_evicted`: a member was closed and forgotten: unused for `idleMs` (`idle`), or the least
 *   recently used past `maxProviders` (`capacity`);
 * - `request_unrouted`: a request in scope went out without a bearer, because its path names no
 *   organisation (`no_organisation`) or `credentialsFor` does not know it (`unknown_organisation`).
 *
 * @example
 * ```ts
 * const pool = createTokenPool({
 *   credentialsFor,
 *   onEvent: (e) => {
 *     if (e.type === 'request_unrouted') log.warn(`no m3ter credentials for ${e.orgId ?? e.url}`)
 *     if (e.type === 'credentials_rejected') alert(`m3ter rejected the key of organisation ${e.orgId}`)
 *   },
 * })
 * ```
 */
export type TokenPoolEvent =
  | (M3terAuthEvent & { readonly orgId: string })
  | { readonly type: 'pool_member_added'; readonly orgId: string; readonly at: number }
  | {
      readonly type: 'pool_member_evicted'
      readonly orgId: string
      readonly reason: 'idle' | 'capacity'
      readonly at: number
    }
  | {
      readonly type: 'request_unrouted'
      readonly reason: 'no_organisation' | 'unknown_organisation'
      readonly orgId?: string
      /** Origin and path only: no query, no fragment, no user info. */
      readonly url: string
      readonly at: number
    }

/**
 * One member as {@link TokenPool.snapshot} shows it: its provider's snapshot, its organisation, and how
 * long since it was last used.
 *
 * @example
 * ```ts
 * const { status, idleMs } = pool.snapshot().organizations[orgId] ?? {}
 * ```
 */
export interface TokenPoolMemberSnapshot extends TokenSnapshot {
  readonly orgId: string
  readonly idleMs: number
}

/**
 * What {@link TokenPool.snapshot} shows: how many members are held, and each by organisation. No secret,
 * no token.
 *
 * @example
 * ```ts
 * const { size, organizations } = pool.snapshot()
 * const failing = Object.values(organizations).filter((member) => member.status === 'failed')
 * ```
 */
export interface TokenPoolSnapshot {
  readonly size: number
  readonly organizations: Readonly<Record<string, TokenPoolMemberSnapshot>>
}

/**
 * Token providers for many m3ter organisations, one per organisation, created on first use. Hand it to any
 * adapter where a provider goes: each request then uses the member of the organisation in its URL.
 *
 * @example
 * ```ts
 * const pool = createTokenPool({ credentialsFor: (orgId) => keys.get(orgId) })
 * const member = await pool.for(orgId) // that organisation's TokenProvider, or undefined
 * const token = await member?.getToken()
 * await pool.close()
 * ```
 */
export interface TokenPool {
  /**
   * The organisation's provider, created on first use (concurrent first calls share one); `undefined`
   * when `credentialsFor` does not know the organisation. Each call counts as a use.
   */
  for(orgId: string): Promise<TokenProvider | undefined>
  /** True when the URL's origin is in the members' scope. */
  inScope(url: string | URL): boolean
  snapshot(): TokenPoolSnapshot
  /** Closes every member and forgets them; later calls fail with `closed`. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

type PoolOwnEvent = Extract<
  TokenPoolEvent,
  { type: 'pool_member_added' | 'pool_member_evicted' | 'request_unrouted' }
>
type Unstamped<E> = E extends unknown ? Omit<E, 'at'> : never

interface Member {
  readonly orgId: string
  /** Set once created; until then `ready` is the creation every caller shares. */
  provider?: TokenProvider
  ready: Promise<TokenProvider | undefined>
  /** Monotonic ms of the last use. */
  usedAt: number
}

const DEFAULT_MAX_PROVIDERS = 1_000
const DEFAULT_IDLE_MS = 30 * 60 * 1000
const MAX_TIMER_MS = 2 ** 31 - 1
const ORGANIZATION_PATH = /^[a-z][a-z\d+.-]*:\/\/[^/?#]*\/organizations\/([^/?#]+)/i

/**
 * Creates a pool of token providers, one per m3ter organisation, for a platform that holds one Service
 * User per organisation (customers, sandbox and production). Members share every option; each has its own
 * token, request policy (one organisation's revocation or forbidden routes cost the others nothing) and
 * store key. Idle and least recently used members are closed, with their secrets forgotten; the pool's one
 * timer runs on the injected clock and keeps no process alive.
 *
 * @example
 * ```ts
 * import { createTokenPool } from '@m3ter-auth/core'
 * import { withM3terAuth } from '@m3ter-auth/fetch'
 *
 * const pool = createTokenPool({
 *   credentialsFor: (orgId) => {
 *     const key = process.env[`M3TER_KEY_${orgId}`]
 *     const secret = process.env[`M3TER_SECRET_${orgId}`]
 *     return key && secret ? { accessKeyId: key, apiSecret: secret } : undefined
 *   },
 * })
 * const m3terFetch = withM3terAuth(pool) // each request with its own organisation's token
 * await m3terFetch(`https://api.m3ter.com/organizations/${orgA}/meters`)
 * await m3terFetch(`https://api.m3ter.com/organizations/${orgB}/meters`)
 * ```
 */
export function createTokenPool(options: TokenPoolOptions): TokenPool {
  const { credentialsFor, maxProviders = DEFAULT_MAX_PROVIDERS, idleMs = DEFAULT_IDLE_MS } = options ?? {}
  const { onEvent, maxProviders: _max, idleMs: _idle, credentialsFor: _for, ...shared } = options ?? {}
  if (typeof credentialsFor !== 'function') poolInvalid('credentialsFor must be a function')
  if (!Number.isInteger(maxProviders) || maxProviders < 1) poolInvalid('maxProviders must be an integer >= 1')
  if (!(idleMs > 0 && idleMs <= MAX_TIMER_MS)) poolInvalid(`idleMs must be > 0 and <= ${MAX_TIMER_MS}`)
  // The members' options are checked once, here, where the mistake is made.
  const { clock, inScope, tokenUrl } = resolveOptions(shared)
  const mono = () => clock.monotonic?.() ?? clock.now()
  // Map order is use order: the first member is the least recently used.
  const members = new Map<string, Member>()
  // Evicted members still busy with a token request that callers wait for: closed when it settles.
  const retiring = new Set<TokenProvider>()
  // Each member's own close(): an eviction closes the member alone, whatever was later attached to the object
  // (a test rig that makes a member's close() close the pool too).
  const ownClose = new WeakMap<TokenProvider, () => Promise<void>>()
  let held = 0
  let timer: unknown
  let closed = false

  const emit = (event: Unstamped<PoolOwnEvent>) => {
    if (!onEvent) return
    try {
      onEvent({ ...event, at: clock.now() } as TokenPoolEvent)
    } catch {
      // An observer's bug must not break authentication.
    }
  }

  const touch = (member: Member) => {
    member.usedAt = mono()
    members.delete(member.orgId)
    members.set(member.orgId, member)
  }

  const create = (orgId: string, source: CredentialsSource): TokenProvider => {
    const provider = createTokenProvider({
      ...shared,
      credentials: source,
      ...(onEvent && { onEvent: (event: M3terAuthEvent) => onEvent({ ...event, orgId }) }),
    })
    held++
    ownClose.set(provider, provider.close)
    return provider
  }

  // `evict`: false for a member made again for an evicted one's request (closeAndForward): it must not evict
  // another member a request may hold, which would make that one's request make another, and so on. Such
  // members may take the pool past maxProviders for a while; the next member made for a new request evicts.
  const settle = (
    member: Member,
    source: CredentialsSource | undefined,
    evict: boolean,
  ): TokenProvider | undefined => {
    if (closed) throw closedError()
    if (source === undefined) {
      members.delete(member.orgId)
      return undefined
    }
    try {
      member.provider = create(member.orgId, source)
    } catch (error) {
      members.delete(member.orgId)
      throw error
    }
    // Created is used: after a slow lookup, the new member must not be the least recently used one.
    touch(member)
    // Once the member is in place: a listener may ask the pool for it (to instrument it, say).
    emit({ type: 'pool_member_added', orgId: member.orgId })
    if (evict) evictBeyondCapacity()
    scheduleSweep()
    return member.provider
  }

  const open = (orgId: string, evict = true): Member => {
    const member: Member = { orgId, ready: Promise.resolve(undefined), usedAt: mono() }
    members.set(orgId, member)
    let answer: ReturnType<typeof credentialsFor>
    try {
      answer = credentialsFor(orgId)
    } catch (error) {
      members.delete(orgId)
      member.ready = Promise.reject(lookupFailed(orgId, error))
      return member
    }
    if (!isThenable(answer)) {
      // Known at once: the member exists before this call returns, and requests need not wait for it.
      try {
        member.ready = Promise.resolve(settle(member, answer, evict))
      } catch (error) {
        member.ready = Promise.reject(error)
      }
      return member
    }
    member.ready = Promise.resolve(answer).then(
      (source) => settle(member, source, evict),
      (error: unknown) => {
        if (members.get(orgId) === member) members.delete(orgId)
        throw lookupFailed(orgId, error)
      },
    )
    return member
  }

  const memberOf = (orgId: string, evict = true): Member => {
    const member = members.get(orgId)
    if (!member) return open(orgId, evict)
    touch(member)
    return member
  }

  const retire = (member: Member, reason: 'idle' | 'capacity') => {
    members.delete(member.orgId)
    const provider = member.provider
    if (!provider) return
    held--
    emit({ type: 'pool_member_evicted', orgId: member.orgId, reason })
    if (!waitedOn(provider, clock.now())) {
      closeAndForward(provider, member.orgId)
      return
    }
    // Callers wait for this member's token: let that request finish for them, then close it.
    retiring.add(provider)
    const unsubscribe = provider.subscribe(() => {
      if (waitedOn(provider, clock.now())) return
      unsubscribe()
      // After the event's transition has settled its waiters.
      void Promise.resolve().then(() => {
        retiring.delete(provider)
        closeAndForward(provider, member.orgId)
      })
    })
  }

  // A request routed to a member before it was evicted still holds it, and asks it for a token: its first
  // (a burst to more organisations than maxProviders evicts members between their routing and their first
  // getToken) or one to retry a 401/403; so may an application that kept it from `pool.for`. Closed, the
  // member would fail them with `closed`: instead it answers from its organisation's current member, made
  // again if need be. Its own secret and token are forgotten all the same.
  const closeAndForward = (provider: TokenProvider, orgId: string) => {
    void ownClose.get(provider)?.()
    // A token the request saw refused while no member of the organisation existed to drop it from: the new
    // member may find it in a shared store, and must not hand it out again.
    let refused: string | undefined
    const current = () => members.get(orgId)?.provider
    const successor = async (): Promise<TokenProvider> => {
      if (closed) throw closedError()
      const { provider: next, ready } = memberOf(orgId, false)
      const found = next ?? (await ready)
      // credentialsFor no longer knows the organisation: as a member closed for good.
      if (!found) throw closedError()
      return found
    }
    const getToken = async (options?: GetTokenOptions): Promise<string> => {
      const next = await successor()
      const token = await next.getToken(options)
      if (token !== refused) return token
      // The new member found it in a shared store: drop it there (unless a caller beside this one already
      // did) and wait for the token that replaces it. `refused` stays: every caller must be kept from it.
      next.invalidate(token)
      return next.getToken(options)
    }
    Object.assign(provider, {
      getToken,
      authorize: async (url: string | URL, options?: GetTokenOptions) =>
        provider.inScope(url) ? `Bearer ${await getToken(options)}` : undefined,
      invalidate(token: string) {
        const next = current()
        if (next) return next.invalidate(token)
        refused = token
        return false
      },
    } satisfies Partial<TokenProvider>)
  }

  const evictBeyondCapacity = () => {
    for (const member of members.values()) {
      if (held <= maxProviders) return
      if (member.provider) retire(member, 'capacity')
    }
  }

  const sweep = () => {
    timer = undefined
    const now = mono()
    for (const member of members.values()) {
      // Use order: once one member is recent enough, every later one is too.
      if (now - member.usedAt < idleMs) break
      if (member.provider) retire(member, 'idle')
    }
    scheduleSweep()
  }

  // One timer for the whole pool, due when the least recently used member turns idle.
  const scheduleSweep = () => {
    if (timer !== undefined || closed || !held) return
    for (const member of members.values()) {
      if (!member.provider) continue
      timer = clock.setTimeout(sweep, Math.max(0, member.usedAt + idleMs - mono()))
      return
    }
  }

  const route = (url: string | URL, authorization: unknown): Routed => {
    if (!shouldAuthorize(pool as unknown as TokenProvider, url, authorization)) return undefined
    const orgId = organizationOf(url)
    if (orgId === undefined) {
      emit({ type: 'request_unrouted', reason: 'no_organisation', url: withoutQuery(url) })
      return undefined
    }
    if (closed) return Promise.reject(closedError())
    const member = memberOf(orgId)
    if (member.provider) return member.provider
    return member.ready.then((provider) => {
      if (!provider)
        emit({ type: 'request_unrouted', reason: 'unknown_organisation', orgId, url: withoutQuery(url) })
      return provider
    })
  }

  const pool: TokenPool & { [POOL_ROUTE]: typeof route; toJSON(): unknown } = {
    for(orgId) {
      if (closed) return Promise.reject(closedError())
      if (typeof orgId !== 'string' || !orgId)
        return Promise.reject(
          new M3terAuthError('invalid_options', 'pool.for: orgId must be a non-empty string'),
        )
      const { provider, ready } = memberOf(orgId)
      return provider ? Promise.resolve(provider) : ready
    },
    inScope,
    snapshot() {
      const now = mono()
      const organizations: Record<string, TokenPoolMemberSnapshot> = {}
      for (const { orgId, provider, usedAt } of members.values())
        if (provider) organizations[orgId] = { ...provider.snapshot(), orgId, idleMs: now - usedAt }
      return { size: held, organizations }
    },
    async close() {
      closed = true
      clock.clearTimeout(timer)
      timer = undefined
      const providers = [...retiring]
      for (const { provider } of members.values()) if (provider) providers.push(provider)
      members.clear()
      retiring.clear()
      held = 0
      await Promise.all(providers.map((provider) => provider.close()))
    },
    [Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')]: () => pool.close(),
    [POOL_ROUTE]: route,
    // Nothing secret lives on this object; say so plainly to anyone who logs it.
    toJSON: () => ({ M3terTokenPool: pool.snapshot() }),
  }
  // The pool answers the request policy's questions (scope, token endpoint) before any member exists.
  registerRequestPolicy(pool as unknown as TokenProvider, { tokenUrl, now: () => clock.now() })
  return pool
}

/** A member has callers waiting for its token (a cold or expired one being fetched): closing would fail them. */
function waitedOn(provider: TokenProvider, now: number): boolean {
  const { status, expiresAt } = provider.snapshot()
  return status === 'fetching' || (status === 'backoff' && !(expiresAt !== undefined && expiresAt > now))
}

// `/organizations/{orgId}` at the start of the path, as in every m3ter API and ingest route.
function organizationOf(url: string | URL): string | undefined {
  const segment = ORGANIZATION_PATH.exec(typeof url === 'string' ? url : url.href)?.[1]
  if (segment === undefined) return undefined
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function withoutQuery(url: string | URL): string {
  try {
    const { origin, pathname } = new URL(url)
    return `${origin}${pathname}`
  } catch {
    return String(url).split(/[?#]/)[0] ?? ''
  }
}

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function'
}

function lookupFailed(orgId: string, cause: unknown): M3terAuthError {
  if (cause instanceof M3terAuthError) return cause
  return new M3terAuthError('missing_credentials', `createTokenPool: credentialsFor(${orgId}) failed`, {
    cause,
  })
}

function closedError(): M3terAuthError {
  return new M3terAuthError('closed', 'createTokenPool: the token pool is closed')
}

function poolInvalid(what: string): never {
  throw new M3terAuthError('invalid_options', `createTokenPool: ${what}`)
}
