// The packed testkit as a user installs it, outside the workspace: npm installs Jest and vitest from the
// registry (runners/package-lock.json) and the tarballs of core, fetch and testkit into a temporary
// directory, then a CommonJS script, a Jest project and a vitest project use it. The README's examples
// are these fixture files.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
const root = join(here, '../..')
const fixtures = join(here, 'fixtures')

const run = (command, args, cwd, capture = false) =>
  execFileSync(command, args, {
    cwd,
    stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
  })

// The README must show exactly what runs here.
const readme = readFileSync(join(root, 'packages/testkit/README.md'), 'utf8')
for (const file of ['meters.vitest.test.ts', 'meters.jest.test.js', 'readme-conformance.vitest.test.ts']) {
  if (!readme.includes(readFileSync(join(fixtures, file), 'utf8')))
    throw new Error(`packages/testkit/README.md must show tests/testkit-consumers/fixtures/${file} verbatim`)
}

// A Jest + TypeScript project without vitest (and without skipLibCheck) must typecheck an import of the
// main entry: its declarations, and every chunk they import, name nothing of vitest. The conformance suite's
// vitest-typed declarations live under '@m3ter-auth/testkit/vitest'.
function vitestImportsOf(file, seen = new Set()) {
  if (seen.has(file)) return []
  seen.add(file)
  const text = readFileSync(file, 'utf8')
  const found = [...text.matchAll(/(?:from|import)\s+['"]([^'"]+)['"]/g)].map((match) => match[1])
  return found.flatMap((target) =>
    target.startsWith('.')
      ? vitestImportsOf(
          join(file, '..', target.replace(/\.c?js$/, file.endsWith('.d.cts') ? '.d.cts' : '.d.ts')),
          seen,
        )
      : target === 'vitest' || target.startsWith('vitest/') || target.startsWith('@vitest/')
        ? [`${file} imports ${target}`]
        : [],
  )
}
for (const entry of ['index.d.ts', 'index.d.cts']) {
  const offending = vitestImportsOf(join(root, 'packages/testkit/dist', entry))
  if (offending.length) throw new Error(`testkit's main entry types need vitest:\n${offending.join('\n')}`)
}

const dir = mkdtempSync(join(tmpdir(), 'm3ter-testkit-consumers-'))
let failed = false
try {
  const tarballs = []
  for (const name of ['core', 'fetch', 'testkit']) {
    const out = run('pnpm', ['pack', '--pack-destination', dir], join(root, 'packages', name), true)
    const file = readdirSync(dir).find(
      (entry) => entry.startsWith(`m3ter-auth-${name}-`) && entry.endsWith('.tgz'),
    )
    if (!file) throw new Error(`pnpm pack of ${name} made no tarball: ${out}`)
    tarballs.push(`./${file}`)
  }
  // Jest and vitest exactly as locked (the registry here lacks some of the newest transitive versions),
  // then the tarballs on top, as `npm install ./pkg.tgz` in a user's project.
  for (const file of ['package.json', 'package-lock.json'])
    copyFileSync(join(here, 'runners', file), join(dir, file))
  run('npm', ['ci', '--prefer-online', '--no-audit', '--no-fund', '--loglevel=error'], dir)
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], dir)
  for (const file of readdirSync(fixtures)) copyFileSync(join(fixtures, file), join(dir, file))
  // The fetch adapter's driver (tests/drivers, shared by every suite here), with the request type it names.
  copyFileSync(join(root, 'tests/drivers/src/fetch.ts'), join(dir, 'driver.ts'))
  copyFileSync(join(root, 'tests/drivers/src/request.ts'), join(dir, 'request.ts'))
  writeFileSync(
    join(dir, 'jest.config.js'),
    "module.exports = { testMatch: ['**/*.jest.test.js'], testEnvironment: 'node' }\n",
  )
  writeFileSync(
    join(dir, 'vitest.config.mjs'),
    "export default { test: { include: ['*.vitest.test.ts'], testTimeout: 20000, hookTimeout: 20000 } }\n",
  )

  run('node', ['consumer.cjs'], dir)
  const jestJson = join(dir, 'jest-results.json')
  try {
    run('npx', ['jest', '--ci', '--json', `--outputFile=${jestJson}`], dir)
  } finally {
    const results = JSON.parse(readFileSync(jestJson, 'utf8'))
    // Counted by .ci/run with the vitest runs: the same "Tests  N passed" shape.
    console.log(
      `\n      Tests  ${results.numPassedTests} passed | ${results.numFailedTests} failed (${results.numTotalTests}) (Jest)`,
    )
    if (results.numFailedTests > 0 || !results.success) failed = true
  }
  run('npx', ['vitest', 'run'], dir)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
if (failed) process.exit(1)
