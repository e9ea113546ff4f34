// Runs every benchmark in its own Node process (so one cannot warm or pollute another) and prints their
// figures. A benchmark exits non-zero when it misses its target; the run then fails.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'

const here = new URL('.', import.meta.url).pathname
const files = [
  'core.bench.mjs',
  'fleet.bench.mjs',
  'otel.bench.mjs',
  ...readdirSync(`${here}adapters`)
    .filter((f) => f.endsWith('.bench.mjs'))
    .map((f) => `adapters/${f}`),
]
let failed = 0
for (const file of files) {
  console.log(`\n--- ${file}`)
  const { status } = spawnSync(process.execPath, ['--expose-gc', `${here}${file}`], {
    stdio: 'inherit',
    cwd: here,
  })
  if (status !== 0) failed++
}
console.log(`\n${files.length - failed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
