// Turns one contender's raw phase records into the figures the table, the JSON and the chart share, and
// checks m3ter-auth's own rows.

/** Phases whose calls are counted in the totals (the secret and probe phases are checks, not traffic). */
export const TRAFFIC = ['cold', 'steady', 'revocation', 'outage']

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
    check('no secret or Basic value in any error', !f.leaks.secret && !f.leaks.basic, leakText(f.leaks)),
    check('both keys work (raw Basic)', f.secrets.plain && f.secrets.encoded, secretText(f.secrets)),
  ]
}

export const leakText = (leaks) =>
  [leaks.secret && 'secret', leaks.basic && 'Basic', leaks.token && 'token'].filter(Boolean).join('+') ||
  'none'

export const secretText = (secrets) => `${secrets.plain ? 'ok' : 'FAIL'}/${secrets.encoded ? 'ok' : 'FAIL'}`

/**
 * Where a peer or baseline beats every m3ter-auth row on a figure (lower is better for all of them).
 * Returns one sentence per win, for the table's footer and the README.
 */
export function peerWins(rows) {
  const ours = rows.filter((r) => r.kind === 'm3ter-auth')
  const figures = [
    { name: 'token requests', get: (r) => r.totals.tokenRequests, byPhase: phaseFigures('tokenRequests') },
    {
      name: 'calls that waited on a token request',
      get: (r) => r.totals.waited,
      byPhase: phaseFigures('waited'),
    },
    { name: 'failed calls', get: (r) => r.totals.failed },
    { name: 'p50 latency (ms)', get: (r) => r.latencyMs.p50 },
    { name: 'p99 latency (ms)', get: (r) => r.latencyMs.p99 },
    { name: 'Worker bundle, auth only (gzip bytes)', get: (r) => r.size.auth },
    { name: 'Worker bundle, with its client (gzip bytes)', get: (r) => r.size.total },
  ]
  const bestRow = (figure) => ours.reduce((a, b) => (figure.get(b) < figure.get(a) ? b : a))
  const wins = []
  for (const figure of figures) {
    const best = Math.min(...ours.map(figure.get).filter((v) => typeof v === 'number'))
    for (const row of rows) {
      if (row.kind === 'm3ter-auth') continue
      const value = figure.get(row)
      if (typeof value === 'number' && value < best)
        wins.push({
          contender: row.id,
          label: rowName(row),
          figure: figure.name,
          value,
          best,
          // A figure won by failing calls (no token request when none succeeds) must say so.
          failed: row.totals.failed,
          ...(figure.byPhase ? { byPhase: figure.byPhase(row), ours: figure.byPhase(bestRow(figure)) } : {}),
        })
    }
  }
  return wins
}

export const rowName = (row) => `${row.label} (${row.setup})`

const phaseFigures = (field) => (row) => TRAFFIC.map((name) => row.phases[name][field]).join('/')

/** One win as a sentence: the figure, m3ter-auth's best, and what the peer paid for it. */
export function winText(win) {
  const phases = win.byPhase ? `; by phase ${TRAFFIC.join('/')}: ${win.byPhase} against ${win.ours}` : ''
  const failed = win.failed ? `, while failing ${win.failed} calls` : ''
  return `${win.label}: ${win.figure} ${win.value} (best m3ter-auth row: ${win.best}${phases}${failed})`
}
