// Runs under Node 22+ (miniflare 4 needs it), started by the Node 20 test process. Reads the bundles and the
// bindings from the environment, prints one JSON line per result on stdout.
import { readFileSync } from 'node:fs'
import { Miniflare } from 'miniflare'

const bindings = JSON.parse(process.env.WORKER_BINDINGS)
const worker = (path, extra = {}) =>
  new Miniflare({
    modules: true,
    script: readFileSync(path, 'utf8'),
    compatibilityDate: '2025-09-01',
    bindings: { ...bindings, ...extra },
  })
const control = async (op, args = {}) => {
  const res = await fetch(bindings.CONTRACT_CONTROL_URL, {
    method: 'POST',
    body: JSON.stringify({ op, ...args }),
  })
  return res.json()
}

// The contract: one request per behaviour, each a fresh request context in one isolate.
const contract = worker(process.env.WORKER_CONTRACT)
for (const id of process.env.CONTRACT_IDS.split(',')) {
  const res = await contract.dispatchFetch(`http://worker/?only=${id}`)
  console.log(
    (await res.text()) || JSON.stringify({ id, pass: false, detail: `worker answered ${res.status}` }),
  )
}
await contract.dispose()

// The example Worker: its module-scope provider serves requests one after another, then several at once.
await control('reset')
const example = worker(process.env.WORKER_EXAMPLE)
const statuses = []
const get = async () => {
  const res = await example.dispatchFetch('http://worker/meters')
  await res.arrayBuffer()
  statuses.push(res.status)
}
for (let i = 0; i < 3; i++) await get()
await Promise.all([get(), get(), get(), get()])
const { tokenRequests } = await control('state')
console.log(JSON.stringify({ id: 'example', statuses, tokenRequests }))
await example.dispose()

// Refresh across requests: request A passes the refresh point and is served at once while its background token
// request is held; A ends; the token is then released. Later requests must get the new token, and after
// expiry still be served. With REFRESH_INLINE the provider never refreshes in the background; with
// NO_WAIT_UNTIL the background refresh is lost and recovery has to come from the provider's stale check.
for (const [id, extra] of [
  ['4 across requests', {}],
  ['4 across requests, refresh inline', { REFRESH_INLINE: '1' }],
  ['4 across requests, no waitUntil', { NO_WAIT_UNTIL: '1' }],
]) {
  await control('reset')
  const isolate = worker(process.env.WORKER_ISOLATE, extra)
  const steps = []
  const get = async (path) => {
    const res = await isolate.dispatchFetch(`http://worker${path}`)
    const body = await res.text()
    steps.push(
      `${path} ${res.status} ${body.startsWith('{') ? JSON.stringify(JSON.parse(body).snapshot ?? JSON.parse(body)) : body.split('\n')[0]}`,
    )
    return res.status === 200 ? JSON.parse(body) : undefined
  }
  await get('/fetch')
  await get('/advance-to-refresh')
  if (!extra.REFRESH_INLINE) await control('inject', { endpoint: 'token', fault: { kind: 'hold' } })
  const served = await get('/fetch')
  await control('release')
  const after = await get('/fetch')
  await get('/advance-past-expiry')
  const expired = await get('/fetch')
  const pass =
    served?.status === 200 &&
    after?.status === 200 &&
    expired?.status === 200 &&
    expired.snapshot.generation >= 2 &&
    // Without waitUntil workerd drops the held refresh; the provider gives it up after 2x timeoutMs, so
    // the request that finds the token expired gets a new one. With waitUntil the refresh lands at once.
    (extra.REFRESH_INLINE !== undefined ||
      extra.NO_WAIT_UNTIL !== undefined ||
      after.snapshot.generation === 2)
  console.log(JSON.stringify({ id, pass, ...(pass ? {} : { detail: steps.join(' | ') }) }))
  await isolate.dispose()
}
