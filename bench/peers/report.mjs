// The three views of one results object: text tables for stdout, an SVG chart, and the README section.
// All of them are made from the JSON the bench writes, so nothing in them is typed by hand.
import { leakText, rowName, secretText, TRAFFIC, winText } from './figures.mjs'

const pad = (text, width, right) => (right ? String(text).padStart(width) : String(text).padEnd(width))

/** Columns of strings as an aligned text table; `right` marks columns of numbers. */
function table(head, rows, right) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (cells) =>
    cells
      .map((c, i) => pad(c, widths[i], right.includes(i)))
      .join('  ')
      .trimEnd()
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

const kb = (bytes) => (typeof bytes === 'number' ? (bytes / 1000).toFixed(1) : '—')
const sizeText = (size) => (size.nodeOnly ? 'Node only' : `${kb(size.auth)} / ${kb(size.total)}`)

/** The stdout report: per-phase figures, totals, where a peer wins, and how time was handled. */
export function textReport(results) {
  const { rows, workload: w } = results
  const phaseTable = table(
    [
      'contender',
      'cold: token req',
      'failed',
      'steady: token req',
      'waited',
      'failed',
      'revocation: token req',
      'failed',
      'outage: token req',
      'failed during/after',
      'outage across expiry: token req',
      'failed down valid/expired/after',
      'rate limit: token req',
      'failed limited/after',
      'secret plain/encoded',
    ],
    rows.map((r) => {
      const p = r.phases
      const e = r.outageExpiryFailed
      return [
        rowName(r),
        p.cold.tokenRequests,
        p.cold.failed,
        p.steady.tokenRequests,
        p.steady.waited,
        p.steady.failed,
        p.revocation.tokenRequests,
        p.revocation.failed,
        p.outage.tokenRequests,
        `${r.outageFailed.during}/${r.outageFailed.after}`,
        p['outage-expiry'].tokenRequests,
        `${e.valid}/${e.expired}/${e.after}`,
        p['rate-limit'].tokenRequests,
        `${r.rateLimitFailed.limited}/${r.rateLimitFailed.after}`,
        secretText(r.secrets),
      ]
    }),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
  )
  const totalTable = table(
    [
      'contender',
      'token req',
      'waited',
      'failed',
      'API req',
      'p50 ms',
      'p99 ms',
      'in errors (examined/thrown)',
      'Worker kB gz auth/total',
      'clock',
    ],
    rows.map((r) => [
      rowName(r),
      r.totals.tokenRequests,
      r.totals.waited,
      r.totals.failed,
      r.totals.apiRequests,
      r.latencyMs.p50?.toFixed(2) ?? '—',
      r.latencyMs.p99?.toFixed(2) ?? '—',
      `${leakText(r.leaks)} (${r.leaks.examined}/${r.leaks.thrown})`,
      sizeText(r.size),
      r.clock,
    ]),
    [1, 2, 3, 4, 5, 6],
  )
  const wins = results.peerWins.length ? results.peerWins.map((w) => `  - ${winText(w)}`) : ['  - none']
  const checks = results.checks.map(
    (c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.contender}: ${c.name} (seen: ${c.seen})`,
  )
  return [
    `Peers on one workload: mock m3ter (loopback, token endpoint answering after ${w.tokenLatencyMs} ms, tokens of ${w.tokenLifetimeSeconds} s), ${results.node}, ${results.machine.summary}, ${results.generatedAt}`,
    '',
    'Per phase (each phase on a fresh mock and a fresh contender), strongest first (fewest failed calls, then fewest token requests):',
    phaseTable,
    '',
    `Totals over ${TRAFFIC.join(' + ')} (${rows[0]?.totals.calls} calls each); latency of every call, failed ones included:`,
    totalTable,
    '',
    'Where another contender beats every m3ter-auth row (failed calls always count; token requests and waits only where it failed no more calls in that phase):',
    ...wins,
    `  (${results.lowerWithMoreFailures.length} lower figures came with more failed calls and are not counted: lowerWithMoreFailures in the JSON)`,
    '',
    'm3ter-auth checks (a miss fails the run):',
    ...checks,
    '',
    ...results.notes.map((n) => `Note: ${n}`),
  ].join('\n')
}

const COLORS = { 'm3ter-auth': '#2563eb', diy: '#059669', peer: '#d97706', baseline: '#6b7280' }
const PHASES_SHORT = 'cold/steady/revocation/outage/outage across expiry/rate limit'
const esc = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** The chart: token requests and failed calls per contender, two panels of horizontal bars. */
export function svgChart(results) {
  const { rows } = results
  const rowHeight = 30
  const top = 78
  const labelWidth = 360
  const panelWidth = 280
  const gap = 210
  const width = labelWidth + 2 * panelWidth + gap + 210
  const height = top + rows.length * rowHeight + 56
  const byPhase = (field) => (r) => TRAFFIC.map((name) => r.phases[name][field]).join('/')
  const panels = [
    { title: 'token requests', get: (r) => r.totals.tokenRequests, detail: byPhase('tokenRequests') },
    { title: 'failed calls', get: (r) => r.totals.failed, detail: byPhase('failed') },
  ]
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12" role="img" aria-labelledby="title">`,
    `<title id="title">${esc(`Token requests and failed calls per contender on one workload: ${rows.map((r) => `${r.label} (${r.setup}) ${r.totals.tokenRequests} token requests, ${r.totals.failed} failed calls`).join('; ')}`)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600" fill="#111827">m3ter-auth and the libraries users would otherwise pick: one workload, ${rows[0]?.totals.calls} calls each</text>`,
    `<text x="16" y="44" fill="#4b5563">100 cold calls, 3 token lifetimes of traffic, a revocation with 20 calls in flight, a token endpoint outage while the token is valid, one across its expiry, a 429 rate limit. Lower is better; strongest first.</text>`,
  ]
  panels.forEach((panel, index) => {
    const x0 = labelWidth + index * (panelWidth + gap)
    const max = Math.max(1, ...rows.map(panel.get))
    parts.push(
      `<text x="${x0}" y="${top - 10}" font-weight="600" fill="#111827">${esc(panel.title)} <tspan font-weight="400" fill="#6b7280" font-size="10">(${PHASES_SHORT})</tspan></text>`,
    )
    parts.push(
      `<line x1="${x0}" y1="${top - 4}" x2="${x0}" y2="${top + rows.length * rowHeight}" stroke="#d1d5db"/>`,
    )
    rows.forEach((row, i) => {
      const value = panel.get(row)
      const y = top + i * rowHeight
      const w = value === 0 ? 0 : Math.max(2, (value / max) * panelWidth)
      parts.push(
        `<rect x="${x0}" y="${y + 6}" width="${w.toFixed(1)}" height="${rowHeight - 12}" fill="${COLORS[row.kind]}"/>`,
      )
      parts.push(
        `<text x="${(x0 + w + 6).toFixed(1)}" y="${y + rowHeight / 2 + 4}" fill="#111827">${value} <tspan fill="#6b7280" font-size="10">(${panel.detail(row)})</tspan></text>`,
      )
    })
  })
  rows.forEach((row, i) => {
    const y = top + i * rowHeight + rowHeight / 2 + 4
    parts.push(
      `<text x="${labelWidth - 12}" y="${y - 5}" text-anchor="end" fill="${COLORS[row.kind]}" font-weight="600">${esc(row.label)}</text>`,
    )
    parts.push(
      `<text x="${labelWidth - 12}" y="${y + 8}" text-anchor="end" fill="#6b7280" font-size="10">${esc(row.setup)}</text>`,
    )
  })
  const foot = top + rows.length * rowHeight + 24
  parts.push(
    `<text x="16" y="${foot}" fill="#4b5563" font-size="11">${esc(`${results.generatedAt} · ${results.node} · ${results.machine.summary} · pnpm bench:peers (bench/results/peers.json)`)}</text>`,
  )
  parts.push(
    `<text x="16" y="${foot + 16}" fill="#4b5563" font-size="11"><tspan fill="${COLORS['m3ter-auth']}">■ m3ter-auth</tspan>  <tspan fill="${COLORS.diy}">■ do it yourself, written here</tspan>  <tspan fill="${COLORS.peer}">■ other libraries, set up as their docs advise</tspan>  <tspan fill="${COLORS.baseline}">■ baselines: the official SDKs' documented token handling, reproduced</tspan></text>`,
  )
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}

export const README_START = '<!-- bench:peers:start (written by pnpm bench:peers) -->'
export const README_END = '<!-- bench:peers:end -->'

const isSize = (win) => win.figure.startsWith('Worker bundle')
const shortWin = (win) =>
  isSize(win)
    ? `${win.figure.replace(' (bytes gzipped)', '')} ${kb(win.value)} kB against ${kb(win.best)} kB`
    : `${win.figure} ${win.value} against ${win.best}`

const PHASE_HEADS = ['cold', 'steady', 'revocation', 'outage', 'outage across expiry', 'rate limit (429)']

/** The README's table: strongest first, failed calls and token requests per traffic phase. */
function readmeTable(rows) {
  const cells = (r, field) => TRAFFIC.map((phase) => r.phases[phase][field])
  return [
    `| contender | failed calls | token requests | failed: ${PHASE_HEADS.join(' / ')} | token requests: same phases |`,
    '|---|--:|--:|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.label} <br><sub>${r.setup}</sub> | ${r.totals.failed} | ${r.totals.tokenRequests} | ${cells(r, 'failed').join(' / ')} | ${cells(r, 'tokenRequests').join(' / ')} |`,
    ),
  ]
}

/** The README's "How it compares" section, between its markers. */
export function readmeSection(results) {
  // One line per contender, its wins in a row: the section stays short however many figures a peer wins.
  const byContender = new Map()
  for (const win of results.peerWins) byContender.set(win.label, [...(byContender.get(win.label) ?? []), win])
  const wins = byContender.size
    ? [...byContender].map(([label, list]) => {
        const row = results.rows.find((r) => r.id === list[0].contender)
        const failed = `${row.totals.failed} of ${row.totals.calls} calls failed`
        return `- ${label}, ${failed}: ${list.map(shortWin).join('; ')}`
      })
    : ['- none on this workload']
  return [
    README_START,
    '## How it compares',
    '',
    `![Token requests and failed calls per contender](bench/results/peers.svg)`,
    '',
    `Out of ${results.rows[0]?.totals.calls} calls each, strongest first (fewest failed calls, then fewest token requests):`,
    '',
    ...readmeTable(results.rows),
    '',
    `Measured ${results.generatedAt} on Node ${results.node.replace(/^v/, '')}, ${results.machine.summary}, by`,
    '`pnpm bench:peers`: every m3ter-auth adapter, a careful do-it-yourself client (plain fetch, single flight,',
    'a refresh window, one retry on 401/403) and the libraries users would otherwise pick, each set up as its',
    'own docs advise, on one workload against the mock m3ter. Figures per phase, latency, leaks in errors and',
    'Worker bundle sizes: [bench/results/peers.json](bench/results/peers.json); how the workload runs:',
    '[bench/peers](bench/peers). Where another contender beats every m3ter-auth row:',
    '',
    ...wins,
    README_END,
  ].join('\n')
}

/** The README with its section replaced (or added at the end when the markers are missing). */
export function withReadmeSection(readme, section) {
  const start = readme.indexOf(README_START)
  const end = readme.indexOf(README_END)
  if (start >= 0 && end > start)
    return `${readme.slice(0, start)}${section}${readme.slice(end + README_END.length)}`
  return `${readme.trimEnd()}\n\n${section}\n`
}
