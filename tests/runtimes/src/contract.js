// DESIGN §4 lines 1–6 and 9–10, runnable inside any runtime with fetch: workerd, Vercel Edge, Deno, Bun and
// Node. Plain ESM with no runtime API, importing the built packages by their published names. The mock m3ter
// lives in the Node test process; this script reads and steers it through a small control endpoint (out of
// the provider's scope, so it never carries a bearer).
import { createTokenProvider, isM3terAuthError } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { manualClock } from './manual-clock.js'

export const BEHAVIOURS = [
  ['1', 'first request fetches a token and sends Bearer', first],
  ['2', 'later requests reuse the token', reuse],
  ['3', 'concurrent cold requests share one token request', concurrent],
  ['4', 'refresh ahead serves the current token at once', refreshAhead],
  ['5', '403 refreshes once and retries once', rejected],
  ['6', 'bearer only in scope; out of scope untouched', scope],
  ['9', 'malformed token answers give invalid_token_response', malformed],
  ['10', 'no secret or token in errors, JSON or events', secrecy],
]

/**
 * Runs the behaviours (all, or those in `only`) and calls `report` with `{ id, name, pass, detail? }` as
 * each ends, so a runtime that hangs still leaves the results it reached.
 */
export async function runContract(cfg, report = () => {}, only) {
  const run = createRun(cfg)
  const results = []
  for (const [id, name, behaviour] of BEHAVIOURS) {
    if (only && !only.includes(id)) continue
    let result
    try {
      await run.control('reset')
      await behaviour(run)
      result = { id, name, pass: true }
    } catch (error) {
      result = { id, name, pass: false, detail: String(error?.message ?? error) }
    } finally {
      await run.closeAll()
    }
    results.push(result)
    report(result)
  }
  return results
}

function createRun(cfg) {
  const providers = []
  const seen = { tokens: new Set(), events: [], errors: [], providers: [] }
  const api = (path = '/meters?pageSize=2') => `${cfg.apiUrl}/organizations/${cfg.orgId}${path}`
  return {
    cfg,
    seen,
    api,
    ingest: () => `${cfg.ingestUrl}/organizations/${cfg.orgId}/echo`,
    async control(op, args = {}) {
      const res = await fetch(cfg.controlUrl, { method: 'POST', body: JSON.stringify({ op, ...args }) })
      if (!res.ok) throw new Error(`control ${op} answered ${res.status}`)
      const state = await res.json()
      for (const token of state.tokens) seen.tokens.add(token)
      return state
    },
    setup(options = {}) {
      const clock = manualClock()
      const listeners = []
      const auth = createTokenProvider({
        credentials: { accessKeyId: cfg.accessKeyId, apiSecret: cfg.apiSecret },
        tokenUrl: cfg.tokenUrl,
        scope: [cfg.apiUrl, cfg.ingestUrl],
        clock,
        random: () => 0,
        onEvent(event) {
          seen.events.push(event)
          for (const l of listeners.splice(0))
            if (l.type === event.type) l.resolve(event)
            else listeners.push(l)
        },
        ...options,
      })
      providers.push(auth)
      seen.providers.push(auth)
      // Resolves at the next event of this type: the moment a background refresh lands, without waiting.
      const nextEvent = (type) => new Promise((resolve) => listeners.push({ type, resolve }))
      return { auth, clock, nextEvent, f: withM3terAuth(auth) }
    },
    async closeAll() {
      for (const auth of providers.splice(0)) await auth.close()
    },
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message)
}

async function ok(responsePromise) {
  const res = await responsePromise
  check(res.status === 200, `expected 200, got ${res.status}`)
  await res.arrayBuffer()
  return res
}

const bearer = (entry) => entry.authorization ?? ''
const hasToken = (token) => (entry) => bearer(entry) === `Bearer ${token}`

async function first(run) {
  const { f } = run.setup()
  await ok(f(run.api()))
  const state = await run.control('state')
  check(state.tokenRequests === 1, `token requests: ${state.tokenRequests}, expected 1`)
  check(
    state.api.length === 1 && hasToken(state.tokens[0])(state.api[0]),
    'the request did not carry Bearer <issued token>',
  )
}

async function reuse(run) {
  const { f } = run.setup()
  for (let i = 0; i < 3; i++) await ok(f(run.api()))
  await ok(f(run.ingest(), { method: 'POST', body: '{"n":1}' }))
  const state = await run.control('state')
  check(state.tokenRequests === 1, `token requests: ${state.tokenRequests}, expected 1`)
  check(
    state.api.length === 4 && state.api.every(hasToken(state.tokens[0])),
    'not every request carried the one token',
  )
}

async function concurrent(run) {
  const { f } = run.setup()
  await Promise.all(Array.from({ length: 8 }, () => ok(f(run.api()))))
  const state = await run.control('state')
  check(state.tokenRequests === 1, `token requests: ${state.tokenRequests}, expected 1`)
  check(
    state.api.length === 8 && state.api.every(hasToken(state.tokens[0])),
    'not every request carried the one token',
  )
}

async function refreshAhead(run) {
  const { f, auth, clock, nextEvent } = run.setup()
  await ok(f(run.api()))
  const { expiresAt } = auth.snapshot()
  // Past the refresh point (600 s before expiry with the default policy and no jitter), not yet expired.
  await clock.advance(expiresAt - clock.now() - 60_000)
  await run.control('inject', { endpoint: 'token', fault: { kind: 'hold' } })
  const fetched = nextEvent('token_fetched')
  // The token request is held by the mock, so this can only succeed if it is served the current token.
  await ok(f(run.api()))
  // The mock may read the held token request a moment after the API request: the control waits for it.
  let state = await run.control('state', { tokenRequests: 2 })
  check(
    state.tokenRequests === 2,
    `a background refresh should have started: ${state.tokenRequests} token requests`,
  )
  check(hasToken(state.tokens[0])(state.api[1]), 'during the refresh the current token was not served')
  await run.control('release')
  await fetched
  await ok(f(run.api()))
  state = await run.control('state')
  check(
    state.tokens.length === 2 && hasToken(state.tokens[1])(state.api[2]),
    'the refreshed token was not used next',
  )
  // Truly expired: the caller waits for a new token and never gets the old one.
  await clock.advance(auth.snapshot().expiresAt - clock.now() + 1)
  await ok(f(run.api()))
  state = await run.control('state')
  check(
    state.tokenRequests === 3,
    `an expired token should be replaced: ${state.tokenRequests} token requests`,
  )
  check(hasToken(state.tokens[2])(state.api[3]), 'an expired token was sent')
}

async function rejected(run) {
  const { f } = run.setup()
  await ok(f(run.api()))
  await run.control('revokeAll')
  // Several requests fail together: one refresh for all of them, and each is retried once.
  await Promise.all(Array.from({ length: 4 }, () => ok(f(run.api()))))
  let state = await run.control('state')
  check(state.tokenRequests === 2, `token requests after a revocation: ${state.tokenRequests}, expected 2`)
  const [old, renewed] = state.tokens
  const refused = state.api.filter((e) => hasToken(old)(e) && e.status === 403).length
  const retried = state.api.filter((e) => hasToken(renewed)(e) && e.status === 200).length
  check(
    state.api.length === 9 && refused === 4 && retried === 4,
    `${refused} refused, ${retried} retried with the new token`,
  )
  // A second rejection goes to the caller as it came: no loop.
  await run.control('inject', {
    endpoint: 'api',
    fault: { kind: 'status', status: 403 },
    window: { times: 2 },
  })
  const res = await f(run.api())
  await res.arrayBuffer()
  state = await run.control('state')
  check(res.status === 403, `a second 403 should reach the caller, got ${res.status}`)
  check(
    state.api.length === 11 && state.tokenRequests === 3,
    `no loop: ${state.api.length} api and ${state.tokenRequests} token requests`,
  )
}

async function scope(run) {
  const { f } = run.setup()
  const foreign = `${run.cfg.foreignUrl}/elsewhere?x=1`
  await ok(f(foreign, { method: 'POST', headers: { 'x-probe': 'kept' }, body: 'as-is' }))
  let state = await run.control('state')
  check(state.tokenRequests === 0, 'an out-of-scope request asked for a token')
  const [out] = state.foreign
  check(
    out && out.authorization === null && out.probe === 'kept' && out.body === 'as-is',
    'out-of-scope request altered',
  )
  // A redirect from m3ter to another origin: the runtime's fetch must drop the bearer on the way.
  await run.control('inject', {
    endpoint: 'api',
    fault: { kind: 'redirect', location: `${run.cfg.foreignUrl}/landing` },
  })
  await ok(f(run.api()))
  state = await run.control('state')
  check(
    state.tokenRequests === 1 && state.api.length === 1 && hasToken(state.tokens[0])(state.api[0]),
    'm3ter got no bearer',
  )
  check(
    state.foreign.length === 2 && state.foreign[1].authorization === null,
    'a bearer followed the redirect',
  )
  let refused
  try {
    createTokenProvider({
      credentials: { accessKeyId: 'k', apiSecret: 's' },
      scope: ['http://api.example.com'],
    })
  } catch (error) {
    refused = error
  }
  check(
    isM3terAuthError(refused) && refused.code === 'insecure_url',
    'plain http scope off loopback was accepted',
  )
}

const MALFORMED = [
  { kind: 'html' },
  { kind: 'non-json' },
  { kind: 'missing-access-token' },
  { kind: 'token-type' },
  { kind: 'expires-in', expiresIn: 0 },
  { kind: 'expires-in', expiresIn: -1 },
  { kind: 'expires-in', expiresIn: 1e12 },
  { kind: 'expires-in', expiresIn: 'missing' },
]

async function malformed(run) {
  for (const fault of MALFORMED) {
    const { f } = run.setup({ retry: { maxAttempts: 1 } })
    await run.control('inject', { endpoint: 'token', fault })
    const error = await f(run.api()).then(
      () => undefined,
      (e) => e,
    )
    run.seen.errors.push(error)
    const label = `${fault.kind}${'expiresIn' in fault ? ` ${fault.expiresIn}` : ''}`
    check(isM3terAuthError(error), `${label}: not an M3terAuthError`)
    check(error.code === 'invalid_token_response', `${label}: code ${error.code}`)
  }
  const state = await run.control('state')
  check(state.api.length === 0, 'a request went out without a token')
}

async function secrecy(run) {
  // A wrong secret of our own (answered 401 by the mock), on top of everything collected so far.
  const wrong = 'wrong-secret-0f9e8d7c6b5a'
  const { f } = run.setup({ credentials: { accessKeyId: run.cfg.accessKeyId, apiSecret: wrong } })
  const error = await f(run.api()).then(
    () => undefined,
    (e) => e,
  )
  check(isM3terAuthError(error) && error.code === 'invalid_credentials', `wrong secret: ${error?.code}`)
  run.seen.errors.push(error)
  // A malformed answer of its own, so this line stands alone when run by itself.
  const { f: g } = run.setup({ retry: { maxAttempts: 1 } })
  await run.control('inject', { endpoint: 'token', fault: { kind: 'html' } })
  run.seen.errors.push(
    await g(run.api()).then(
      () => undefined,
      (e) => e,
    ),
  )
  // A provider holding a token, so there is one to leak.
  const held = run.setup()
  await ok(held.f(run.api()))
  await run.control('state')
  check(run.seen.tokens.size > 0, 'no token was issued to look for')
  const secrets = [run.cfg.apiSecret, wrong, ...run.seen.tokens]
  const texts = [
    ...run.seen.errors.flatMap((e) => [String(e), e?.message, e?.stack, JSON.stringify(e), String(e?.cause)]),
    ...run.seen.providers.flatMap((p) => [String(p), JSON.stringify(p), JSON.stringify(p.snapshot())]),
    ...run.seen.events.map((e) => JSON.stringify(e)),
  ]
  check(run.seen.errors.length >= 2 && run.seen.events.length > 0, 'too little evidence collected')
  const leaks = texts.filter((text) => secrets.some((s) => String(text).includes(s)))
  check(leaks.length === 0, `${leaks.length} texts carry a secret or token`)
}
