import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = fileURLToPath(new URL('..', import.meta.url))

/**
 * Bundles an entry with the built packages as a user's bundler (wrangler, Next.js) would: the published
 * names resolve through this package's node_modules to packages/<name>/dist, never to sources.
 */
export async function bundle(entry: string, format: 'esm' | 'iife', globalName?: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format,
    ...(globalName ? { globalName } : {}),
    platform: 'browser',
    conditions: ['workerd', 'worker', 'edge-light', 'import'],
    nodePaths: [`${here}node_modules`],
    write: false,
    logLevel: 'error',
  })
  const [output] = result.outputFiles
  if (!output) throw new Error(`esbuild gave no output for ${entry}`)
  return output.text
}

/** Absolute path of a file of this package or of the repository's examples. */
export const pathOf = {
  src: (name: string) => `${here}src/${name}`,
  example: (name: string) => fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url)),
  test: (name: string) => `${here}test/${name}`,
}
