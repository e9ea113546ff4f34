// Runs under Node 22+ (miniflare 4 needs it), started by the Node 20 test process. Reads the bundles and the
// bindings from the environment, prints one JSON line per result on stdout.
import { readFileSync } from 'node:fs'
import { Miniflare } from 'miniflare'

const bindings = JSON.parse(process.env.WORKER_BINDINGS)
const worker = (path) =>
  new Miniflare({
    modules: true,
    script: readFileSync(path, 'utf8'),
    compatibilityDate: '2025-09-01',
    bindings,
  })
const control = (op) => fetch(bindings.CONTRACT_CONTROL_URL, { method: 'POST', body: JSON.stringify({ op }) })

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
console.log(JSON.stringify({ id: 'example', statuses }))
await example.dispose()
