// publint and attw on the packed tarball of each published package, as npm would ship it.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { publicPackages, root } from './lib/workspace.mjs'

const out = mkdtempSync(join(tmpdir(), 'm3ter-auth-pack-'))
let failed = false
for (const { name, dir, manifest } of publicPackages()) {
  const before = new Set(readdirSync(out))
  execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: dir, stdio: 'ignore' })
  const file = join(
    out,
    readdirSync(out).find((f) => !before.has(f)),
  )
  const esmOnly = !JSON.stringify(manifest.exports).includes('require')
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
      console.log(`ok   ${tool} ${name}`)
    } catch (error) {
      failed = true
      console.log(`FAIL ${tool} ${name}\n${error.stdout}${error.stderr}`)
    }
  }
}
rmSync(out, { recursive: true, force: true })
process.exit(failed ? 1 : 0)
