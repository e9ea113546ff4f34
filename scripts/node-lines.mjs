#!/usr/bin/env node
// Runs every listed package's default vitest run (the whole suite on the machine's Node 20 is turbo's `test`)
// again on Node 22 and Node 24, the lines users run (Node 20 reached end of life in April 2026). The binaries
// come from the npm registry as workspace packages (tools/nodes), referenced by path so they never shadow the
// machine's node. Two runs at a time: the machines have two cores.
//
//   node scripts/node-lines.mjs                      every package of the README's test command
//   node scripts/node-lines.mjs packages/redis       just those directories
//   NODE_LINES=24 node scripts/node-lines.mjs        just one line
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
// biome-ignore lint/suspicious/noUndeclaredEnvVars: a developer's choice of lines, not a build input
const lines = (process.env.NODE_LINES ?? '22,24').split(',').map((line) => line.trim())
// The README's test command covers packages/* and apps/* but Redis (its own step starts redis-server).
const DEFAULT_DIRS = [
  'packages/core',
  'packages/fetch',
  'packages/axios',
  'packages/got',
  'packages/ky',
  'packages/undici',
  'packages/otel',
  'packages/testkit',
  'packages/cli',
  'packages/cloudflare',
  'apps/sample',
]
const dirs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : DEFAULT_DIRS
const vitest = join(root, 'node_modules/vitest/vitest.mjs')

const jobs = lines.flatMap((line) => {
  const node = join(root, `tools/nodes/node_modules/node${line}/bin/node`)
  if (!existsSync(node)) throw new Error(`node-lines: no Node ${line} binary at ${node}: run pnpm install`)
  return dirs.map((dir) => ({ line, node, dir }))
})

// The runs a package's vitest.config.ts declares besides `default` (see vitest.shared.ts).
function hasRun(dir, run) {
  return readFileSync(join(root, dir, 'vitest.config.ts'), 'utf8').includes(`'${run}'`)
}

function run({ line, node, dir }) {
  // The default run is the package's whole suite; on Node 24 the client majors that need Node 22+ run too
  // (Node 22 runs them already, in each package's test:node22).
  const newer = line !== '22' && hasRun(dir, 'node22') ? ['--project', 'node22'] : []
  const args = [vitest, 'run', '--project', 'default', ...newer]
  return new Promise((done) => {
    const child = spawn(node, args, {
      cwd: join(root, dir),
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.on('close', (code) => {
      // Each job's output in one block, prefixed like turbo's, so the CI summary counts its tests.
      const prefix = `${dir.split('/').pop()}:test:node${line}: `
      process.stdout.write(
        `${output
          .split('\n')
          .map((text) => prefix + text)
          .join('\n')}\n`,
      )
      done({ line, dir, ok: code === 0 })
    })
  })
}

const results = []
const queue = [...jobs]
await Promise.all(
  [0, 1].map(async () => {
    for (let job = queue.shift(); job; job = queue.shift()) results.push(await run(job))
  }),
)
const failed = results.filter((result) => !result.ok)
for (const { line, dir } of failed) console.error(`node-lines: ${dir} failed on Node ${line}`)
console.log(
  `node-lines: ${results.length - failed.length} of ${results.length} runs passed (Node ${lines.join(', ')})`,
)
process.exit(failed.length > 0 ? 1 : 0)
