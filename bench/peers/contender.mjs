// Runs the workload for one contender in a process of its own (Date.now is pinned here, and no contender can
// warm or pollute another) and writes its figures as JSON to the file named by the second argument.
// Usage: node bench/peers/contender.mjs <id> <out.json>
import { writeFileSync } from 'node:fs'
import { inspect } from 'node:util'
import { contenderById } from './contenders.mjs'
import { KEYS, runWorkload } from './workload.mjs'

const [id, out] = process.argv.slice(2)
const contender = contenderById(id)
const { create } = await import(new URL(`contenders/${contender.module}`, import.meta.url).href)

const started = performance.now()
const { phases, evidence } = await runWorkload((env) => create(env, contender.options))
const leaks = scanLeaks(evidence)
writeFileSync(out, JSON.stringify({ id, phases, leaks, runSeconds: (performance.now() - started) / 1000 }))
// Contenders' own keep-alive sockets and timers must not keep the bench waiting.
process.exit(0)

/** Whether any kept error shows a secret, a Basic value or a token, through util.inspect or JSON.stringify. */
function scanLeaks({ errors, thrown, basics, tokens }) {
  const secrets = new Set()
  for (const key of Object.values(KEYS)) {
    secrets.add(key.apiSecret)
    secrets.add(encodeURIComponent(key.apiSecret))
    basics.add(btoa(`${key.accessKeyId}:${key.apiSecret}`))
  }
  const found = { secret: [], basic: [], token: [] }
  for (const { phase, error } of errors) {
    const text = `${inspect(error, { depth: Infinity, maxStringLength: Infinity })}\n${json(error)}`
    const where = `${error?.constructor?.name ?? typeof error} (${phase})`
    if ([...secrets].some((s) => text.includes(s))) found.secret.push(where)
    if ([...basics].some((b) => text.includes(b))) found.basic.push(where)
    const jwts = text.match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g) ?? []
    if (jwts.some((t) => tokens.has(t))) found.token.push(where)
  }
  const first = (list) => (list.length ? list[0] : null)
  return {
    thrown,
    examined: errors.length,
    secret: found.secret.length > 0,
    basic: found.basic.length > 0,
    token: found.token.length > 0,
    examples: { secret: first(found.secret), basic: first(found.basic), token: first(found.token) },
  }
}

function json(value) {
  try {
    return JSON.stringify(value) ?? ''
  } catch (error) {
    return `(JSON.stringify threw: ${error?.message})`
  }
}
