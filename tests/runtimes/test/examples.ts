import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pathOf } from './bundle.ts'
import type { Harness } from './harness.ts'
import { unexpectedStderr } from './run.ts'

const modules = fileURLToPath(new URL('../node_modules', import.meta.url))

/**
 * Runs a script example (Deno, Bun) as a user would after installing the packages: copied into a folder
 * whose node_modules holds the built @m3ter-auth packages. Passes when it lists all the mock's meters on
 * one token, page by page.
 */
export async function runScriptExample(
  h: Harness,
  example: string,
  start: (file: string, cwd: string) => Promise<{ code: number | null; stdout: string; stderr: string }>,
): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'm3ter-example-'))
  try {
    const file = join(dir, basename(example))
    copyFileSync(pathOf.example(example), file)
    writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n')
    symlinkSync(modules, join(dir, 'node_modules'))
    const { code, stdout, stderr } = await start(file, dir)
    const ok =
      code === 0 &&
      stdout.includes('meters: 250') &&
      h.mock.stats.tokenRequests === 1 &&
      h.mock.stats.apiRequests === 3 &&
      unexpectedStderr(stderr).length === 0
    if (!ok) console.error(`${example}: exit ${code}\n${stdout}${stderr}`)
    return ok
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
