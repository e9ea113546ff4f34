// Fails when any of core's deciding files scores under the break threshold in Stryker's JSON report
// (mutation-testing-report-schema). Stryker's own `thresholds.break` applies to the total only: a file at
// 70 % can hide behind the others. Run by `pnpm test:mutation` after Stryker (packages/core/stryker.config.mjs).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const core = fileURLToPath(new URL('../packages/core/', import.meta.url))
const config = await import(`${core}stryker.config.mjs`)
const { deciding } = config
const floor = config.default.thresholds.break
const reportPath = process.argv[2] ?? `${core}${config.default.jsonReporter.fileName}`
const report = JSON.parse(readFileSync(reportPath, 'utf8'))

// Stryker's mutation score: detected mutants over those that could be detected (compile and runtime errors
// and ignored mutants do not count either way).
const DETECTED = new Set(['Killed', 'Timeout'])
const UNDETECTED = new Set(['Survived', 'NoCoverage'])

function scoreOf(mutants) {
  const detected = mutants.filter((m) => DETECTED.has(m.status)).length
  const valid = detected + mutants.filter((m) => UNDETECTED.has(m.status)).length
  return { detected, valid, score: valid === 0 ? 100 : (100 * detected) / valid }
}

let failed = false
for (const file of deciding) {
  const entry = report.files[file]
  if (!entry) {
    console.error(`mutation score: ${file} is not in the report (was it mutated?)`)
    failed = true
    continue
  }
  const { detected, valid, score } = scoreOf(entry.mutants)
  const under = score < floor
  failed ||= under
  console.log(`${under ? 'FAIL' : 'ok  '} ${score.toFixed(1).padStart(5)} %  ${detected}/${valid}  ${file}`)
  if (under) {
    for (const m of entry.mutants.filter((x) => UNDETECTED.has(x.status)))
      console.log(
        `       ${m.status} line ${m.location.start.line}: ${m.mutatorName} ${(m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 100)}`.trimEnd(),
      )
  }
}
if (failed) {
  console.error(`mutation score: a deciding file is under ${floor} % (packages/core/mutation-survivors.md)`)
  process.exit(1)
}
console.log(`mutation score: every deciding file at ${floor} % or more`)
