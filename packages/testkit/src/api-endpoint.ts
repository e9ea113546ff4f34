import type { Exchange } from './exchange.ts'
import type { Endpoint } from './faults.ts'
import { paginate } from './fixtures.ts'
import { type MockTokenClaims, verifyJwt } from './jwt.ts'
import { validateMeasurements } from './measurements.ts'
import type { MockState } from './state.ts'

const ORG_PATH = /^\/organizations\/([^/]+)(\/.*)?$/

/** The claims of a good bearer, or why it was refused. */
export type BearerCheck = { ok: true; claims: MockTokenClaims } | { ok: false; message: string }

/** Checks a bearer as m3ter's gateway does: shape, signature, expiry, revocation and organization. */
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
  if (claims.orgId !== state.orgId) return { ok: false, message: 'Token not valid for this organization' }
  return { ok: true, claims }
}

/**
 * Api and ingest origins: everything under `/organizations/{orgId}/` needs a good bearer, then an
 * organization the mock knows, then a route the key may use. Each refusal is a 403 of its own kind, so a
 * test can tell "token rejected" (`bearerRejections`) from "not about the token" (the other counters).
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
  if (safeDecode(match[1] ?? '') !== state.orgId) {
    state.stats.unknownOrganizations += 1
    ex.entry.refusal = 'organization'
    return ex.error(403, `Organization ${match[1]} not found or not accessible`)
  }
  if (!state.permissions.allows(bearer.claims.keyId, method, ex.url.pathname)) {
    state.stats.forbiddenRoutes += 1
    ex.entry.refusal = 'route'
    return ex.error(403, `The Service User has no permission for ${method} ${ex.url.pathname}`)
  }
  const rest = match[2] ?? '/'
  if (rest === '/echo') return echo(ex)
  if (origin === 'ingest') {
    if (rest === '/measurements') return method === 'POST' ? ingest(ex, state) : notAllowed(ex)
    return ex.error(404, `No route for ${method} ${ex.url.pathname}`)
  }
  const list = /^\/(meters|accounts)(?:\/([^/]+))?$/.exec(rest)
  if (list) {
    if (method !== 'GET') return notAllowed(ex)
    const items = list[1] === 'meters' ? state.meters : state.accounts
    if (list[2] !== undefined) {
      const item = items.find((entity) => entity.id === list[2] || entity.code === list[2])
      return item ? ex.json(200, item) : ex.error(404, `${list[1]} ${list[2]} not found`)
    }
    const page = paginate(items, ex.url.searchParams)
    return page.ok ? ex.json(200, page.page) : ex.error(400, page.message)
  }
  ex.error(404, `No route for ${method} ${ex.url.pathname}`)
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
