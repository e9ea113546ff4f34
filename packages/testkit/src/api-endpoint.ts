import type { Exchange } from './exchange.ts'
import type { Endpoint } from './faults.ts'
import { paginate } from './fixtures.ts'
import { verifyJwt } from './jwt.ts'
import { INGEST_MAX_BYTES, validateMeasurements } from './measurements.ts'
import type { MockState } from './state.ts'

const ORG_PATH = /^\/organizations\/([^/]+)(\/.*)?$/

/** Why a bearer was refused, or undefined when it is good for `pathOrg`. */
export function bearerProblem(
  state: MockState,
  header: string | undefined,
  pathOrg: string,
): string | undefined {
  const match = header === undefined ? null : /^bearer\s+(\S+)\s*$/i.exec(header)
  if (!match?.[1]) return 'Missing bearer token'
  const check = verifyJwt(match[1], state.signingKey)
  if (!check.ok) return check.reason === 'signature' ? 'Invalid token signature' : 'Malformed token'
  const { claims } = check
  if (state.now() >= claims.exp * 1000) return 'Token expired'
  if (state.revoked.has(claims.jti)) return 'Token revoked'
  if (claims.orgId !== state.orgId || pathOrg !== state.orgId) return 'Token not valid for this organization'
  return undefined
}

/** Api and ingest origins: everything under `/organizations/{orgId}/` needs a good bearer. */
export async function handleApi(
  ex: Exchange,
  state: MockState,
  origin: Exclude<Endpoint, 'token'>,
): Promise<void> {
  const match = ORG_PATH.exec(ex.url.pathname)
  if (!match) return ex.error(404, `No route for ${ex.req.method} ${ex.url.pathname}`)
  const problem = bearerProblem(state, ex.req.headers.authorization, safeDecode(match[1] ?? ''))
  if (problem) {
    state.stats.bearerRejections += 1
    return ex.error(state.rejectStatus, problem)
  }
  const rest = match[2] ?? '/'
  const method = ex.req.method ?? 'GET'
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
  if (ex.size >= INGEST_MAX_BYTES)
    return ex.error(400, `Request body must be under ${INGEST_MAX_BYTES} bytes`)
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
