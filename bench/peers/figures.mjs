// Turns one contender's raw phase records into the figures the table, the JSON and the chart share, and
// checks m3ter-auth's own rows.

/** Phases whose calls are counted in the totals (the secret and probe phases are checks, not traffic). */
export const TRAFFIC = ['cold', 'steady', 'revocation', 'outage', 'outage-expiry', 'rate-limit']

const percentile = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null
const round = (value, digits) => (value === null ? null : Number(value.toFixed(digits)))

/** Totals, latency and per-phase figures of one contender (raw latencies are dropped). */
export function figuresOf(raw) {
  const phases = {}
  for (const [name, phase] of Object.entries(raw.phases)) {
    const { latenciesMs, ...rest } = phase
    phases[name] = rest
  }
  const sum = (field) => TRAFFIC.reduce((total, name) => total + raw.phases[name][field], 0)
  const latencies = TRAFFIC.flatMap((name) => raw.phases[name].latenciesMs).sort((a, b) => a - b)
  const outage = raw.phases.outage.byTag
  const failedIn = (phase, tag) => raw.phases[phase].byTag[tag]?.failed ?? 0
  return {
    totals: {
      calls: sum('calls'),
      tokenRequests: sum('tokenRequests'),
      waited: sum('waited'),
      failed: sum('failed'),
      apiRequests: sum('apiRequests'),
    },
    latencyMs: { p50: round(percentile(latencies, 50), 2), p99: round(percentile(latencies, 99), 2) },
    outageFailed: { during: outage.during?.failed ?? 0, after: outage.after?.failed ?? 0 },
    outageExpiryFailed: {
      valid: failedIn('outage-expiry', 'down, valid'),
      expired: failedIn('outage-expiry', 'down, expired'),
      after: failedIn('outage-expiry', 'after'),
    },
    rateLimitFailed: { limited: failedIn('rate-limit', 'limited'), after: failedIn('rate-limit', 'after') },
    secrets: {
      plain: raw.phases['secret-plain'].failed === 0,
      encoded: raw.phases['secret-encoded'].failed === 0,
    },
    phases,
    leaks: raw.leaks,
    runSeconds: round(raw.runSeconds, 1),
  }
}

/** m3ter-auth's promises, checked on its own rows; each result says what was expected and what was seen. */
export function checksOf(contender, f) {
  if (contender.kind !== 'm3ter-auth') return []
  const check = (name, ok, seen) => ({ contender: contender.id, name, ok, seen })
  return [
    check(
      '1 token request for 100 cold calls',
      f.phases.cold.tokenRequests === 1,
      f.phases.cold.tokenRequests,
    ),
    check('0 failed calls after a revocation', f.phases.revocation.failed === 0, f.phases.revocation.failed),
    check(
      '0 failed calls while the token endpoint is down',
      f.outageFailed.during === 0,
      f.outageFailed.during,
    ),
    check(
      '0 failed calls while the token endpoint is down across expiry and the token still valid',
      f.outageExpiryFailed.valid === 0,
      f.outageExpiryFailed.valid,
    ),
    check('no secret or Basic value in any error', !f.leaks.secret && !f.leaks.basic, leakText(f.leaks)),
    check('both keys work (raw Basic)', f.secrets.plain && f.secrets.encoded, secretText(f.secrets)),
  ]
}

export const leakText = (leaks) =>
  [leaks.secret && 'secret', leaks.basic && 'Basic', leaks.token && 'token'].filter(Boolean).join('+') ||
  'none'

export const secretText = (secrets) =>
  `${secrets.plain ? 'ok' : 'failed'}/${secrets.encoded ? 'ok' : 'failed'}`

/**
 * Where a peer or baseline beats every m3ter-auth row (lower is better for every figure). A lower count of
 * token requests or waits is a win only where the peer failed no more calls than m3ter-auth in the same
 * phase: a client that never gets a token makes no token requests. Those are returned apart, as
 * `bought` (lower, but with more failed calls), so the JSON keeps them and the text can say why they do
 * not count. Bundle sizes do not depend on behaviour and always count.
 */
export function peerWins(rows) {
  const ours = rows.filter((r) => r.kind === 'm3ter-auth')
  const others = rows.filter((r) => r.kind !== 'm3ter-auth')
  const minOf = (values) => Math.min(...values.filter((v) => typeof v === 'number'))
  const wins = []
  const bought = []
  const judge = (row, figure, value, best, failed, bestFailed) => {
    if (typeof value !== 'number' || !(value < best)) return
    const win = { contender: row.id, label: rowName(row), figure, value, best }
    if (failed <= bestFailed) wins.push(win)
    else bought.push({ ...win, failed, bestFailed })
  }
  // Failed calls are the outcome itself: a phase where a peer fails fewer than every m3ter-auth row is a win.
  for (const phase of TRAFFIC) {
    const best = minOf(ours.map((r) => r.phases[phase].failed))
    for (const row of others) judge(row, `${phase}: failed calls`, row.phases[phase].failed, best, 0, 0)
  }
  for (const phase of TRAFFIC)
    for (const [field, name] of [
      ['tokenRequests', 'token requests'],
      ['waited', 'calls that waited on a token request'],
    ]) {
      const best = minOf(ours.map((r) => r.phases[phase][field]))
      const bestFailed = minOf(ours.map((r) => r.phases[phase].failed))
      for (const row of others)
        judge(row, `${phase}: ${name}`, row.phases[phase][field], best, row.phases[phase].failed, bestFailed)
    }
  const bestFailed = minOf(ours.map((r) => r.totals.failed))
  for (const [get, name] of [
    [(r) => r.latencyMs.p50, 'p50 latency (ms)'],
    [(r) => r.latencyMs.p99, 'p99 latency (ms)'],
  ]) {
    const best = minOf(ours.map(get))
    for (const row of others) judge(row, name, get(row), best, row.totals.failed, bestFailed)
  }
  for (const [get, name] of [
    [(r) => r.size.auth, 'Worker bundle without the HTTP client (bytes gzipped)'],
    [(r) => r.size.total, 'Worker bundle with its HTTP client (bytes gzipped)'],
  ]) {
    const best = minOf(ours.map(get))
    for (const row of others) judge(row, name, get(row), best, 0, 0)
  }
  return { wins, bought }
}

/**
 * Rows strongest first, by what a user feels: fewest failed calls over the traffic phases, then fewest token
 * requests. The sort is stable, so ties keep the order of CONTENDERS.
 */
export function ranked(rows) {
  return [...rows].sort(
    (a, b) => a.totals.failed - b.totals.failed || a.totals.tokenRequests - b.totals.tokenRequests,
  )
}

export const rowName = (row) => `${row.label} (${row.setup})`

/** One win as a sentence: the figure, and m3ter-auth's best. */
export function winText(win) {
  return `${win.label}: ${win.figure} ${win.value} (best m3ter-auth row: ${win.best})`
}
