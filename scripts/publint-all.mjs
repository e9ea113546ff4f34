// publint and attw on the packed tarball of each published package, as npm would ship it.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const dirs = readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d))
const out = mkdtempSync(join(tmpdir(), 'm3ter-auth-pack-'))
let failed = false
for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  if (pkg.private) continue
  execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: dir, stdio: 'ignore' })
  const tarball = readdirSync(out).find((f) => f.startsWith(pkg.name.replace('@', '').replace('/', '-')))
  const file = join(out, tarball)
  const esmOnly = !JSON.stringify(pkg.exports).includes('require')
  const checks = [
    ['publint', [join(root, 'node_modules/.bin/publint'), file, '--strict']],
    [
      'attw',
      [
        join(root, 'node_modules/.bin/attw'),
        file,
        '--format',
        'table-flipped',
        ...(esmOnly ? ['--profile', 'esm-only'] : []),
      ],
    ],
  ]
  for (const [tool, [bin, ...args]] of checks) {
    try {
      execFileSync(bin, args, { stdio: 'pipe' })
      console.log(`ok   ${tool} ${pkg.name}`)
    } catch (error) {
      failed = true
      console.log(`FAIL ${tool} ${pkg.name}\n${error.stdout}${error.stderr}`)
    }
  }
}
rmSync(out, { recursive: true, force: true })
process.exit(failed ? 1 : 0)
