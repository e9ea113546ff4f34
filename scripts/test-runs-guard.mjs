#!/usr/bin/env node
// Fails when a test file on disk belongs to no run. vitest.shared.ts names runs by file suffix
// (`*.floor.test.ts`, `*.node22.test.ts`, `*.workerd.test.ts`); a package's vitest.config.ts lists the runs it
// has besides `default`, and the default run excludes every suffixed file. So a `*.node22.test.ts` in a
// package whose config has no 'node22' run would run nowhere, silently. Also fails for a test file under a
// directory with no vitest config of its own (nothing would pick it up), the testkit consumers' fixtures aside
// (run by their own Jest and vitest projects).
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

const root = join(import.meta.dirname, '..')
const RUNS = { floor: 'floors', node22: 'node22', workerd: 'workerd' }
const FIXTURES = 'tests/testkit-consumers/fixtures/'

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.test.ts'], {
  cwd: root,
  encoding: 'utf8',
})
  .split('\n')
  .filter((file) => file && !file.startsWith(FIXTURES))

// The nearest directory above a file that has a vitest.config.ts: the package whose runs include it.
function configDir(file) {
  for (let dir = dirname(file); dir !== '.'; dir = dirname(dir)) {
    if (existsSync(join(root, dir, 'vitest.config.ts'))) return dir
  }
  return undefined
}

const problems = []
for (const file of files) {
  const dir = configDir(file)
  if (!dir) {
    problems.push(`${file}: no vitest.config.ts above it, so no run includes it`)
    continue
  }
  const suffix = file.match(/\.(floor|node22|workerd)\.test\.ts$/)?.[1]
  if (!suffix) continue
  const config = readFileSync(join(root, dir, 'vitest.config.ts'), 'utf8')
  if (!config.includes(`'${RUNS[suffix]}'`))
    problems.push(`${file}: ${dir}/vitest.config.ts has no '${RUNS[suffix]}' run, so the file runs nowhere`)
}
for (const problem of problems) console.error(`test-runs-guard: ${problem}`)
console.log(`test-runs-guard: ${files.length} test files, ${problems.length} in no run`)
process.exit(problems.length > 0 ? 1 : 0)
