// `pnpm release`: build, publint + attw, the packed-tarball test, the version plan, then `changeset publish`
// (which publishes through pnpm, so `workspace:` ranges become real ones). With --dry-run (what CI runs)
// everything up to the publish, which becomes `pnpm publish --dry-run` of each public package.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { publicPackages, root, workspacePackages } from './lib/workspace.mjs'

const dryRun = process.argv.includes('--dry-run')
const bin = (name) => join(root, 'node_modules/.bin', name)
const step = (title, cmd, args, options = {}) => {
  console.log(`\n--> ${title}`)
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...options })
}

step('build', bin('turbo'), ['run', 'build'])
step('publint + attw', process.execPath, ['scripts/publint-all.mjs'])
step('packed-tarball test', process.execPath, ['scripts/tarball-test.mjs'])

// What `changeset version` would do, on a copy: public packages move together, private ones never.
console.log('\n--> version plan (changeset version on a copy of the manifests)')
const copy = mkdtempSync(join(tmpdir(), 'm3ter-auth-version-'))
const manifests = ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml', '.changeset']
for (const pkg of workspacePackages()) manifests.push(relative(root, join(pkg.dir, 'package.json')))
for (const path of manifests) {
  mkdirSync(dirname(join(copy, path)), { recursive: true })
  cpSync(join(root, path), join(copy, path), { recursive: true })
}
execFileSync('git', ['init', '-q'], { cwd: copy })
execFileSync(bin('changeset'), ['version'], { cwd: copy, stdio: 'pipe', env: { ...process.env, CI: 'true' } })
const problems = []
const planned = {}
for (const pkg of workspacePackages()) {
  const path = relative(root, pkg.dir)
  const next = JSON.parse(readFileSync(join(copy, path, 'package.json'), 'utf8')).version
  if (pkg.manifest.private) {
    if (next !== pkg.manifest.version) problems.push(`${pkg.name} is private but would be versioned ${next}`)
    if (existsSync(join(copy, path, 'CHANGELOG.md')))
      problems.push(`${pkg.name} is private but would get a CHANGELOG`)
  } else {
    planned[pkg.name] = next
    console.log(`    ${pkg.name} ${pkg.manifest.version} -> ${next}`)
  }
}
if (new Set(Object.values(planned)).size > 1) problems.push('public packages would not share one version')
// The examples pin @m3ter-auth/* ranges: each must admit the version about to be released.
const caret = (range, version) => {
  const [a, b, c] = range.replace(/^\^/, '').split('.').map(Number)
  const [x, y, z] = version.split('.').map(Number)
  if (a > 0) return x === a && (y > b || (y === b && z >= c))
  return x === 0 && y === b && z >= c
}
const deno = JSON.parse(readFileSync(join(root, 'examples/deno/deno.json'), 'utf8'))
for (const [name, spec] of Object.entries(deno.imports ?? {})) {
  const match = /^npm:(@m3ter-auth\/[^@]+)@(.+)$/.exec(spec)
  if (match && planned[match[1]] && !caret(match[2], planned[match[1]]))
    problems.push(`examples/deno/deno.json pins ${name}@${match[2]}, which excludes ${planned[match[1]]}`)
}
rmSync(copy, { recursive: true, force: true })
if (problems.length > 0) {
  console.error(problems.map((p) => `FAIL ${p}`).join('\n'))
  process.exit(1)
}

if (dryRun) {
  for (const pkg of publicPackages())
    step(`pnpm publish --dry-run ${pkg.name}`, 'pnpm', ['publish', '--dry-run', '--no-git-checks'], {
      cwd: pkg.dir,
    })
  console.log('\nrelease dry run passed')
} else {
  step('changeset publish', bin('changeset'), ['publish'])
}
