// The workspace's packages as pnpm sees them, so every script covers a package the day it is added.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '')

/** Every workspace package (root excluded): { name, dir, manifest }. */
export function workspacePackages() {
  const listed = JSON.parse(
    execFileSync('pnpm', ['-r', 'ls', '--depth', '-1', '--json'], { cwd: root, encoding: 'utf8' }),
  )
  return listed
    .filter((entry) => entry.path !== root)
    .map((entry) => ({
      name: entry.name,
      dir: entry.path,
      manifest: JSON.parse(readFileSync(join(entry.path, 'package.json'), 'utf8')),
    }))
    .sort((a, b) => a.name.localeCompare(b.name))
}

/** The packages that are published: not private. */
export function publicPackages() {
  return workspacePackages().filter((pkg) => !pkg.manifest.private)
}
