import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { handleApi } from './api-endpoint.ts'
import { EntityStore, type StoredEntity } from './entities.ts'
import { createExchange, type Exchange, type LiveEntry, type RequestLogEntry } from './exchange.ts'
import { answerWithFault } from './fault-answer.ts'
import { createFaultRegistry, type Endpoint, type FaultController, type FaultKind } from './faults.ts'
import { generateEntities } from './fixtures.ts'
import { headerRecord, readBody } from './http-util.ts'
import { decodeJwtClaims, deriveSigningKey, newSigningKey } from './jwt.ts'
import { type AccessKeyInput, KeyRing, type MockAccessKey } from './keys.ts'
import { type Listening, listen } from './listen.ts'
import { INGEST_MAX_BYTES } from './measurements.ts'
import { createPermissions, type DeniedRoute, type PermissionController } from './permissions.ts'
import { createRateLimiter, type RateLimitOption } from './rate-limit.ts'
import type { MockState } from './state.ts'
import { emptyStats, type MockStats } from './stats.ts'
import { handleToken, presentedKeyId, TOKEN_PATH } from './token-endpoint.ts'

/**
 * Options of {@link startMockM3ter}; all optional.
 *
 * @example
 * ```ts
 * const m3ter = await startMockM3ter({ orgId: 'org-1', tokenLifetimeSeconds: 60, clock, rejectStatus: 401 })
 * ```
 */
export interface MockM3terOptions {
  /** Default: a random UUID. */
  readonly orgId?: string
  /** At most two, as m3ter allows. Default: one generated active key. */
  readonly keys?: readonly AccessKeyInput[]
  /** `expires_in` of issued tokens. Default 18000 (five hours), as m3ter. */
  readonly tokenLifetimeSeconds?: number
  /** The mock's time (token iat/exp, expiry checks, fault windows, log). Default: real time. */
  readonly clock?: { now(): number }
  /** Status for a missing, expired, revoked, foreign or malformed bearer. Default 403, as m3ter answers. */
  readonly rejectStatus?: 401 | 403
  /** Generated entities to page through. Defaults 250 meters, 120 accounts. */
  readonly meters?: number
  readonly accounts?: number
  /** Interface to bind. Default 127.0.0.1. */
  readonly host?: string
  /** Fixed ports (default 0: any free port, each origin its own). `token` only with `separateTokenOrigin`. */
  readonly ports?: { readonly api?: number; readonly ingest?: number; readonly token?: number }
  /**
   * Serve the token endpoint on an origin of its own instead of the API origin. Default false: as on
   * m3ter, `tokenUrl` is `apiUrl + '/oauth/token'`, inside the API origin that also gets the bearer.
   */
  readonly separateTokenOrigin?: boolean
  /**
   * Routes the Service User (or one of its keys) may not use: 403 `{"message"}` with a good token, as
   * m3ter answers a key without the permission. Change them later through `m3ter.permissions`.
   */
  readonly deny?: readonly DeniedRoute[]
  /**
   * m3ter's limit of 50 requests a second per organisation (config API and ingest apart), on the mock's
   * clock: 429 `{"message"}` beyond it. Off by default; `true` turns it on.
   */
  readonly rateLimit?: RateLimitOption
  /**
   * The signing key is derived from `orgId`, the first key and this version (default 0): a mock restarted
   * with the same options accepts tokens it issued before. Another version invalidates them all.
   */
  readonly signingKeyVersion?: string | number
  /**
   * Organisations besides `orgId`, each with a Service User of its own (one generated active key unless
   * given), for a client that holds one Service User per organisation: a key gets tokens for its own
   * organisation only, and the API takes them on that organisation's paths only. Their keys are fixed.
   */
  readonly organizations?: readonly { readonly orgId: string; readonly keys?: readonly AccessKeyInput[] }[]
}

/**
 * A running mock m3ter. Everything it saw is in `stats`, `log` and `issuedTokens`.
 *
 * @example
 * ```ts
 * const m3ter = await startMockM3ter()
 * const m3terFetch = withM3terAuth(createProviderFor(m3ter))
 * const meters = `${m3ter.apiUrl}/organizations/${m3ter.orgId}/meters`
 * await m3terFetch(meters)
 * m3ter.revokeAll() // the next call is refused, refreshes once and is retried
 * expect((await m3terFetch(meters)).status).toBe(200)
 * expect(m3ter.stats.tokenRequests).toBe(2)
 * expect(m3ter.log.at(-1)?.headers.authorization).toBe(`Bearer ${m3ter.issuedTokens[1]}`)
 * await m3ter.close()
 * ```
 */
export interface MockM3ter extends AsyncDisposable {
  /** Config API origin, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly apiUrl: string
  /** Ingest origin. */
  readonly ingestUrl: string
  /**
   * Full token endpoint URL: `apiUrl + '/oauth/token'` as on m3ter, or on an origin of its own with
   * `separateTokenOrigin`.
   */
  readonly tokenUrl: string
  readonly orgId: string
  /** The Service User's keys (copies; change them through the methods below). */
  readonly keys: readonly MockAccessKey[]
  /** The `organizations` option's organisations, with their keys (generated ones filled in). */
  readonly organizations: readonly { readonly orgId: string; readonly keys: readonly MockAccessKey[] }[]
  /** Live counters. */
  readonly stats: MockStats
  /** Every request in arrival order, on every origin; token requests have `origin: 'token'` wherever they arrive. */
  readonly log: readonly RequestLogEntry[]
  /** Every access token handed out (including fake ones of token faults), oldest first. */
  readonly issuedTokens: readonly string[]
  readonly faults: FaultController
  /** The meters and accounts as they are now (generated ones, plus what clients created, updated, deleted). */
  readonly meters: readonly StoredEntity[]
  readonly accounts: readonly StoredEntity[]
  /** The routes refused to each key (the `deny` option, and changes made since). */
  readonly permissions: PermissionController
  /** m3ter rotated its signing keys: every token issued so far is refused (bad signature); new ones work. */
  rotateSigningKey(): void
  /** Revokes one token: the API refuses it from now on. */
  revoke(token: string): void
  /** Revokes every token issued so far; later ones work. */
  revokeAll(): void
  deactivateKey(accessKeyId: string): void
  activateKey(accessKeyId: string): void
  /** Adds a key (generated where not given); throws when two exist, as m3ter does. */
  addKey(key?: AccessKeyInput): MockAccessKey
  removeKey(accessKeyId: string): boolean
  /** m3ter's rotation: drop inactive keys (then the oldest) to make room, add a key, deactivate the previous. */
  rotateKeys(): { previous: MockAccessKey | undefined; next: MockAccessKey }
  /** Clears stats, log, issued tokens, faults and revocations, and cuts hung requests. Keys stay. */
  reset(): void
  /** Stops every server, cutting hung requests and keep-alive sockets, so the ports are free. */
  close(): Promise<void>
}

const MEASUREMENTS_PATH = /^\/organizations\/[^/]+\/measurements\/?$/
const TOKEN_BODY_LIMIT = 64 * 1024
const API_BODY_LIMIT = 1024 * 1024
const LOG_BODY_LIMIT = 64 * 1024
const MALFORMED_TOKEN_KINDS = new Set<FaultKind>([
  'missing-access-token',
  'token-type',
  'expires-in',
  'html',
  'non-json',
  'oversize',
  'redirect',
])

/**
 * Starts a mock m3ter on two loopback origins, api (with the token endpoint, as m3ter) and ingest; a
 * third for the token endpoint with `separateTokenOrigin`.
 *
 * @example
 * ```ts
 * const m3ter = await startMockM3ter()
 * const [key] = m3ter.keys
 * const res = await fetch(m3ter.tokenUrl, {
 *   method: 'POST',
 *   headers: {
 *     authorization: `Basic ${Buffer.from(`${key!.accessKeyId}:${key!.apiSecret}`).toString('base64')}`,
 *     'content-type': 'application/json',
 *   },
 *   body: JSON.stringify({ grant_type: 'client_credentials' }),
 * })
 * const { access_token } = await res.json()
 * await m3ter.close()
 * ```
 */
export async function startMockM3ter(options: MockM3terOptions = {}): Promise<MockM3ter> {
  const lifetime = options.tokenLifetimeSeconds ?? 18_000
  if (!Number.isFinite(lifetime) || lifetime <= 0) throw new Error('tokenLifetimeSeconds must be positive')
  const clock = options.clock ?? { now: () => Date.now() }
  const orgId = options.orgId ?? randomUUID()
  const now = () => clock.now()
  const state: MockState = {
    orgId,
    permissions: createPermissions(options.deny ?? [], orgId),
    rateLimiter: createRateLimiter(options.rateLimit, now),
    lifetimeSeconds: lifetime,
    rejectStatus: options.rejectStatus ?? 403,
    now,
    keys: new KeyRing(options.keys),
    otherKeys: otherKeysOf(options.organizations ?? [], orgId),
    signingKey: Buffer.alloc(0),
    revoked: new Set(),
    issued: [],
    stats: emptyStats(),
    meters: new EntityStore('meters', generateEntities('meter', options.meters ?? 250), now),
    accounts: new EntityStore('accounts', generateEntities('account', options.accounts ?? 120), now),
    faults: createFaultRegistry(() => clock.now()),
    hanging: new Set(),
    lastTokenFailed: false,
    failedApiRequests: new Set(),
  }
  const [firstKey] = state.keys.list()
  let signingVersion = options.signingKeyVersion ?? 0
  const signWith = (version: string | number) =>
    firstKey ? deriveSigningKey(orgId, firstKey, version) : newSigningKey()
  state.signingKey = signWith(signingVersion)
  let log: RequestLogEntry[] = []

  const separate = options.separateTokenOrigin === true
  // Where a request goes: the token endpoint wherever it lives, else the endpoint of the origin it reached.
  const endpointOf = (server: Endpoint, path: string): { endpoint: Endpoint; isToken: boolean } => {
    const tokenHere = separate ? server === 'token' : server === 'api'
    const isToken = tokenHere && path === TOKEN_PATH
    return { endpoint: isToken ? 'token' : server, isToken }
  }

  const handle = (server: Endpoint) => async (req: IncomingMessage, res: ServerResponse) => {
    const { endpoint: origin, isToken } = endpointOf(server, (req.url ?? '/').split('?')[0] ?? '/')
    const entry: LiveEntry = {
      origin,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: headerRecord(req),
      status: 0,
      at: state.now(),
      body: '',
    }
    log.push(entry)
    const stats = state.stats
    let retryKey: string | undefined
    // 200 answers of these faults are not tokens: they count as token failures like any error status.
    let malformedToken = false
    const ex = createExchange(req, res, entry, (status) => {
      if (stats !== state.stats) return // answered after a reset: belongs to the old counters
      if (isToken) {
        const failed = status !== 200 || malformedToken
        if (failed) stats.tokenFailures += 1
        state.lastTokenFailed = failed
      }
      if (origin !== 'token') {
        stats.apiRequestsByStatus[status] = (stats.apiRequestsByStatus[status] ?? 0) + 1
        if (retryKey === undefined) return
        // A request is a retry only of one that failed and was not since answered well.
        if (status === 0 || status >= 400) state.failedApiRequests.add(retryKey)
        else state.failedApiRequests.delete(retryKey)
      }
    })
    // Faults are taken on arrival so "the next N requests" means arrival order, not body-read order.
    const fault = isToken || origin !== 'token' ? state.faults.take(origin) : undefined
    const body = await readBody(req, origin === 'token' ? TOKEN_BODY_LIMIT : API_BODY_LIMIT)
    ex.body = body.bytes.toString('utf8')
    ex.size = body.size
    entry.body = body.bytes.subarray(0, LOG_BODY_LIMIT).toString('utf8')
    const keyId = isToken ? presentedKeyId(ex) : ''
    if (isToken) {
      stats.tokenRequests += 1
      stats.tokenRequestsByKey[keyId] = (stats.tokenRequestsByKey[keyId] ?? 0) + 1
      if (state.lastTokenFailed) stats.tokenRetries += 1
    } else if (origin !== 'token') {
      stats.apiRequests += 1
      if (origin === 'ingest') stats.ingestRequests += 1
      retryKey = `${entry.method} ${entry.url} ${ex.body}`
      if (state.failedApiRequests.has(retryKey)) stats.apiRetries += 1
    }
    const normal = () => route(origin, isToken, ex)
    if (!fault) return normal()
    stats.faultsApplied += 1
    entry.fault = fault.kind as FaultKind
    malformedToken = isToken && MALFORMED_TOKEN_KINDS.has(fault.kind)
    await answerWithFault(ex, fault, state, keyId, normal)
  }

  const route = (origin: Endpoint, isToken: boolean, ex: Exchange) => {
    if (origin === 'token')
      return isToken ? handleToken(ex, state) : ex.error(404, `No route for ${ex.url.pathname}`)
    // m3ter refuses an ingest body this large with 403 before it looks at the token.
    if (ex.size >= INGEST_MAX_BYTES && MEASUREMENTS_PATH.test(ex.url.pathname)) {
      state.stats.oversizeBodies += 1
      ex.entry.refusal = 'body-size'
      return ex.error(403, `Request body must be under ${INGEST_MAX_BYTES} bytes`)
    }
    return handleApi(ex, state, origin)
  }

  const host = options.host ?? '127.0.0.1'
  const servers: Listening[] = []
  try {
    servers.push(await listen(handle('api'), { host, port: options.ports?.api ?? 0 }))
    servers.push(await listen(handle('ingest'), { host, port: options.ports?.ingest ?? 0 }))
    if (separate) servers.push(await listen(handle('token'), { host, port: options.ports?.token ?? 0 }))
  } catch (error) {
    await Promise.all(servers.map((server) => server.close()))
    throw error
  }
  const [api, ingest, token] = servers as [Listening, Listening, Listening?]

  const cutHanging = () => {
    for (const res of state.hanging) res.socket?.destroy()
    state.hanging.clear()
  }

  const mock: MockM3ter = {
    apiUrl: api.origin,
    ingestUrl: ingest.origin,
    tokenUrl: `${(token ?? api).origin}${TOKEN_PATH}`,
    orgId: state.orgId,
    get keys() {
      return state.keys.list()
    },
    organizations: organizationsOf(state),
    get stats() {
      return state.stats
    },
    get log() {
      return log
    },
    get issuedTokens() {
      return state.issued
    },
    faults: state.faults,
    permissions: state.permissions,
    get meters() {
      return state.meters.items
    },
    get accounts() {
      return state.accounts.items
    },
    rotateSigningKey() {
      signingVersion = `${signingVersion}+`
      state.signingKey = signWith(signingVersion)
    },
    revoke(value) {
      const claims = decodeJwtClaims(value)
      if (claims) state.revoked.add(claims.jti)
    },
    revokeAll() {
      for (const issued of state.issued) {
        const claims = decodeJwtClaims(issued)
        if (claims) state.revoked.add(claims.jti)
      }
    },
    deactivateKey: (id) => state.keys.setActive(id, false),
    activateKey: (id) => state.keys.setActive(id, true),
    addKey: (key) => state.keys.add(key),
    removeKey: (id) => state.keys.remove(id),
    rotateKeys: () => state.keys.rotate(),
    reset() {
      state.stats = emptyStats()
      log = []
      state.issued.length = 0
      state.revoked.clear()
      state.failedApiRequests.clear()
      state.rateLimiter?.clear()
      state.lastTokenFailed = false
      state.faults.clear()
      cutHanging()
    },
    async close() {
      state.faults.clear()
      cutHanging()
      await Promise.all(servers.map((server) => server.close()))
    },
    [Symbol.asyncDispose]() {
      return mock.close()
    },
  }
  return mock
}

function otherKeysOf(
  organizations: NonNullable<MockM3terOptions['organizations']>,
  orgId: string,
): MockState['otherKeys'] {
  const keys = new Map<string, { orgId: string; key: MockAccessKey }>()
  for (const organization of organizations) {
    if (organization.orgId === orgId || !organization.orgId)
      throw new Error(`organizations: ${organization.orgId} must be another, non-empty organisation id`)
    for (const key of new KeyRing(organization.keys).list()) {
      if (keys.has(key.accessKeyId)) throw new Error(`access key ${key.accessKeyId} exists already`)
      keys.set(key.accessKeyId, { orgId: organization.orgId, key })
    }
  }
  return keys
}

function organizationsOf(state: MockState): MockM3ter['organizations'] {
  const byOrg = new Map<string, MockAccessKey[]>()
  for (const { orgId, key } of state.otherKeys.values()) byOrg.set(orgId, [...(byOrg.get(orgId) ?? []), key])
  return [...byOrg].map(([orgId, keys]) => ({ orgId, keys }))
}
