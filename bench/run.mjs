// Runs every benchmark in its own Node process (so one cannot warm or pollute another) and prints their
// figures, then a table of the adapters' CPU µs per request (bare, wrapped, over) from one run side by side.
// A benchmark exits non-zero when it misses its target; the run then fails.
//
// Arguments filter the benchmarks by path: `node bench/run.mjs adapters/` runs the adapter benches only.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'

const here = new URL('.', import.meta.url).pathname
const only = process.argv.slice(2)
const files = [
  'core.bench.mjs',
  'fleet.bench.mjs',
  'otel.bench.mjs',
  ...readdirSync(`${here}adapters`)
    .filter((f) => f.endsWith('.bench.mjs'))
    .map((f) => `adapters/${f}`),
].filter((file) => only.length === 0 || only.some((part) => file.includes(part)))
let failed = 0
// Each adapter bench's figures line, kept for the table at the end.
const adapters = []
for (const file of files) {
  console.log(`\n--- ${file}`)
  const { status, stdout } = spawnSync(process.execPath, ['--expose-gc', `${here}${file}`], {
    stdio: ['inherit', 'pipe', 'inherit'],
    cwd: here,
    encoding: 'utf8',
  })
  process.stdout.write(stdout)
  for (const line of stdout.split('\n')) {
    if (!line.includes('"cpuUsPerRequest"')) continue
    const { bench, cpuUsPerRequest, medianRatio } = JSON.parse(line)
    adapters.push({ adapter: bench, ...cpuUsPerRequest, ratio: medianRatio })
  }
  if (status !== 0) failed++
}
if (adapters.length > 0) {
  console.log(
    "\nCPU µs per request of the client process (over = the adapter's own cost; ratio informational)",
  )
  console.log(['adapter', 'bare', 'wrapped', 'over', 'ratio'].map((h) => h.padStart(10)).join(''))
  for (const { adapter, bare, wrapped, over, ratio } of adapters) {
    console.log([adapter, bare, wrapped, over, ratio].map((v) => String(v).padStart(10)).join(''))
  }
}
console.log(`\n${files.length - failed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
