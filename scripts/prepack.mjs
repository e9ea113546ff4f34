// Runs before `pnpm pack` / `pnpm publish` in a package directory. Refuses to pack what would be a broken
// package: no build, or a pack by npm (which would ship `workspace:`
// ranges). Copies the repository's LICENSE in, so every tarball carries it.
import { copyFileSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.cwd()
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
const fail = (why) => {
  console.error(`prepack ${pkg.name}: ${why}`)
  process.exit(1)
}

// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by the package manager running this script, not a build input
const agent = process.env.npm_config_user_agent ?? ''
if (!agent.startsWith('pnpm/'))
  fail(`pack and publish with pnpm, which rewrites workspace: ranges (agent: ${agent || 'none'})`)

// Every file the manifest points at must exist: main, module, types, bin and each exports target.
const targets = []
const collect = (value) => {
  if (typeof value === 'string') targets.push(value)
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collect(v)
}
collect([pkg.main, pkg.module, pkg.types, pkg.bin, pkg.exports])
const missing = targets
  .filter((t) => t.startsWith('./dist/') || t.startsWith('dist/'))
  .filter((t) => !existsSync(join(dir, t)))
if (missing.length > 0) fail(`not built (missing ${missing.join(', ')}): run \`pnpm build\` first`)

copyFileSync(join(dir, '../../LICENSE'), join(dir, 'LICENSE'))
