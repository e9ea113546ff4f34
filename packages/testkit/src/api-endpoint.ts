import type { EntityStore, StoreAnswer } from './entities.ts'
import type { Exchange } from './exchange.ts'
import type { Endpoint } from './faults.ts'
import { type MockTokenClaims, verifyJwt } from './jwt.ts'
import { validateMeasurements } from './measurements.ts'
import type { MockState } from './state.ts'

const ORG_PATH = /^\/organizations\/([^/]+)(\/.*)?$/
const MEASUREMENTS = /^\/measurements\/?$/

/**
 * The claims of a good bearer, or why it was refused.
 *
 * @example
 * ```ts
 * const bearer: BearerCheck = checkBearer(state, ex.req.headers.authorization)
 * if (!bearer.ok) return ex.error(state.rejectStatus, bearer.message)
 * ```
 */
export type BearerCheck = { ok: true; claims: MockTokenClaims } | { ok: false; message: string }

/**
 * Checks a bearer as m3ter's gateway does: shape, signature, expiry, revocation and organization.
 *
 * @example
 * ```ts
 * const bearer = checkBearer(state, ex.req.headers.authorization)
 * if (!bearer.ok) return ex.error(state.rejectStatus, bearer.message)
 * ```
 */
export function checkBearer(state: MockState, header: string | undefined): BearerCheck {
  const match = header === undefined ? null : /^bearer\s+(\S+)\s*$/i.exec(header)
  if (!match?.[1]) return { ok: false, message: 'Missing bearer token' }
  const check = verifyJwt(match[1], state.signingKey)
  if (!check.ok)
    return {
      ok: false,
      message: check.reason === 'signature' ? 'Invalid token signature' : 'Malformed token',
    }
  const { claims } = check
  if (state.now() >= claims.exp * 1000) return { ok: false, message: 'Token expired' }
  if (state.revoked.has(claims.jti)) return { ok: false, message: 'Token revoked' }
  if (claims.orgId !== state.orgId && state.otherKeys.get(claims.keyId)?.orgId !== claims.orgId)
    return { ok: false, message: 'Token not valid for this organization' }
  return { ok: true, claims }
}

/**
 * Api and ingest origins: everything under `/organizations/{orgId}/` needs a good bearer, then an
 * organization the mock knows, then a route the key may use. Each refusal is a 403 of its own kind, so a
 * test can tell "token rejected" (`bearerRejections`) from "not about the token" (the other counters).
 *
 * @example
 * ```ts
 * return isToken ? handleToken(ex, state) : handleApi(ex, state, origin)
 * ```
 */
export async function handleApi(
  ex: Exchange,
  state: MockState,
  origin: Exclude<Endpoint, 'token'>,
): Promise<void> {
  const match = ORG_PATH.exec(ex.url.pathname)
  if (!match) return ex.error(404, `No route for ${ex.req.method} ${ex.url.pathname}`)
  const bearer = checkBearer(state, ex.req.headers.authorization)
  if (!bearer.ok) {
    state.stats.bearerRejections += 1
    ex.entry.refusal = 'token'
    return ex.error(state.rejectStatus, bearer.message)
  }
  const method = ex.req.method ?? 'GET'
  const rest = match[2] ?? '/'
  // Config API and ingest have a limit each, per organisation (the token's: the mock has one).
  const bucket = origin === 'ingest' || MEASUREMENTS.test(rest) ? 'ingest' : 'config'
  if (state.rateLimiter && !state.rateLimiter.admit(bucket)) {
    state.stats.rateLimited += 1
    ex.entry.refusal = 'rate-limit'
    const retryAfter = state.rateLimiter.retryAfter
    return ex.json(
      429,
      { message: 'Rate limit exceeded' },
      retryAfter === undefined ? {} : { 'retry-after': retryAfter },
    )
  }
  // The organisation in the path must be the token's (the mock's own, or one of `organizations`).
  if (safeDecode(match[1] ?? '') !== bearer.claims.orgId) {
    state.stats.unknownOrganizations += 1
    ex.entry.refusal = 'organization'
    return ex.error(403, `Organization ${match[1]} not found or not accessible`)
  }
  if (!state.permissions.allows(bearer.claims.keyId, method, ex.url.pathname)) {
    state.stats.forbiddenRoutes += 1
    ex.entry.refusal = 'route'
    return ex.error(403, `The Service User has no permission for ${method} ${ex.url.pathname}`)
  }
  if (rest === '/echo') return echo(ex)
  // The official SDK posts measurements to its base URL when that has no 'api.' to turn into 'ingest.'
  // (any loopback mock), so the api origin takes them too.
  if (MEASUREMENTS.test(rest)) return method === 'POST' ? ingest(ex, state) : notAllowed(ex)
  if (origin === 'ingest') return ex.error(404, `No route for ${method} ${ex.url.pathname}`)
  const entity = /^\/(meters|accounts)(?:\/([^/]+))?\/?$/.exec(rest)
  if (entity)
    return config(ex, entity[1] === 'meters' ? state.meters : state.accounts, entity[2], bearer.claims)
  ex.error(404, `No route for ${method} ${ex.url.pathname}`)
}

function config(ex: Exchange, store: EntityStore, id: string | undefined, claims: MockTokenClaims): void {
  const answer = configAnswer(ex, store, id === undefined ? undefined : safeDecode(id), claims.keyId)
  if (answer) ex.json(answer.status, answer.body)
  else notAllowed(ex)
}

// A collection takes GET (list) and POST (create); one entity GET, PUT (update) and DELETE.
function configAnswer(
  ex: Exchange,
  store: EntityStore,
  id: string | undefined,
  by: string,
): StoreAnswer | undefined {
  const method = ex.req.method ?? 'GET'
  if (id === undefined) {
    if (method === 'GET') return store.list(ex.url.searchParams)
    if (method === 'POST') return withJson(ex, (body) => store.create(body, by))
    return undefined
  }
  if (method === 'GET') return store.get(id)
  if (method === 'PUT') return withJson(ex, (body) => store.update(id, body, by))
  if (method === 'DELETE') return store.delete(id)
  return undefined
}

function withJson(ex: Exchange, use: (body: unknown) => StoreAnswer): StoreAnswer {
  let body: unknown
  try {
    body = JSON.parse(ex.body)
  } catch {
    return { status: 400, body: { message: 'Request body is not valid JSON' } }
  }
  return use(body)
}

// A malformed percent-escape is a client's mistake, not a server error: it simply matches no organization.
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function notAllowed(ex: Exchange): void {
  ex.error(405, `${ex.req.method} is not allowed on ${ex.url.pathname}`)
}

// Answers what arrived, so adapter tests can prove a retried body came through intact.
function echo(ex: Exchange): void {
  const { authorization, ...headers } = ex.entry.headers
  ex.json(200, {
    method: ex.req.method,
    path: ex.url.pathname,
    query: Object.fromEntries(ex.url.searchParams),
    contentType: ex.req.headers['content-type'] ?? null,
    body: ex.body,
    bytes: ex.size,
    headers,
  })
}

async function ingest(ex: Exchange, state: MockState): Promise<void> {
  let parsed: unknown
  try {
    parsed = JSON.parse(ex.body)
  } catch {
    return ex.error(400, 'Request body is not valid JSON')
  }
  const check = validateMeasurements(parsed)
  if (!check.ok) return ex.error(400, check.message)
  state.stats.ingestBatches += 1
  state.stats.ingestMeasurements += check.count
  ex.json(200, { result: 'accepted' })
}
