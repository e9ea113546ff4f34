// Where the wrapped side's extra instructions go: the self instructions per request of each function in two
// callgrind dumps of ./instructions.mjs (bare and wrapped, taken with --names), side by side, largest
// difference first. Callgrind knows no names for JIT code (it reports an address): those come from the
// code map node wrote with --perf-basic-prof, kept beside each dump.
//
//   node bench/adapters/jit-names.mjs <dir> <client> [repeat=1] [rows=40]
//   (e.g. node bench/adapters/jit-names.mjs /tmp/m3ter-auth-instructions-XXXX fetch)
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { readDump } from './callgrind-dump.mjs'

const [dir, client, repeat = '1', rows = '40'] = process.argv.slice(2)
if (!dir || !client) throw new Error('usage: jit-names.mjs <dir> <client> [repeat] [rows]')
const requests = Number(process.env.BENCH_REQUESTS ?? 1000)

// The JIT code map: [start, end, name], sorted by start.
function codeMap(file) {
  const ranges = []
  // A dump taken without --names: JIT code keeps its addresses.
  if (!existsSync(file)) return ranges
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line)
    if (!match) continue
    const start = BigInt(`0x${match[1]}`)
    ranges.push([start, start + BigInt(`0x${match[2]}`), match[3]])
  }
  return ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

// The name of the code holding `address`; code moved or freed later may be missing: the address stays.
function nameAt(ranges, address) {
  let low = 0
  let high = ranges.length - 1
  while (low <= high) {
    const mid = (low + high) >> 1
    if (ranges[mid][0] <= address) low = mid + 1
    else high = mid - 1
  }
  const hit = ranges[high]
  return hit && address < hit[1] ? `JS ${hit[2]}` : `JIT 0x${address.toString(16)}`
}

// Self instructions per request by function name, JIT addresses named from the map.
function selfCosts(side) {
  const base = join(dir, `${client}-${side}-${repeat}`)
  const ranges = codeMap(`${base}.map`)
  const costs = new Map()
  for (const [fn, cost] of readDump(`${base}.out`).self) {
    const jit = /^0x([0-9a-f]+)$/.exec(fn)
    const name = jit ? nameAt(ranges, BigInt(`0x${jit[1]}`)) : fn
    costs.set(name, (costs.get(name) ?? 0) + cost / requests)
  }
  return costs
}

const bare = selfCosts('bare')
const wrapped = selfCosts('wrapped')
const table = [...new Set([...bare.keys(), ...wrapped.keys()])].map((name) => {
  const b = bare.get(name) ?? 0
  const w = wrapped.get(name) ?? 0
  return { name, bare: b, wrapped: w, over: w - b }
})
table.sort((x, y) => Math.abs(y.over) - Math.abs(x.over))
const total = (costs) => [...costs.values()].reduce((sum, v) => sum + v, 0)
console.log(
  `self instructions per request, main thread: bare ${Math.round(total(bare))}, wrapped ${Math.round(total(wrapped))}`,
)
console.log(['over', 'bare', 'wrapped'].map((h) => h.padStart(9)).join(''), ' function')
for (const row of table.slice(0, Number(rows))) {
  console.log(
    [row.over, row.bare, row.wrapped].map((v) => String(Math.round(v)).padStart(9)).join(''),
    ` ${row.name.slice(0, 110)}`,
  )
}
