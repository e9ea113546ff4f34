// The TypeScript examples of the READMEs a user reads: the root README and each published package's.
// A block fenced as ```ts is a whole program that must typecheck and run against the mock m3ter;
// ```ts typecheck-only: <why> is a whole file that must typecheck (one that needs a test runner, say);
// ```ts not-tested: <why> is for code whose packages CI cannot install (m3ter's own SDK is not on the npm
// registry it reaches): counted and listed, never run. Both must say why after the colon.
// Other fences (sh, text, js) are not examples of the API.
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { publicPackages, root } from './workspace.mjs'

/**
 * Every example: { id, source, line, code, run, skip, mode, reason, imports } where mode is 'run',
 * 'typecheck-only' or 'not-tested', reason why it is not run, and imports the packages it names.
 */
export function readmeExamples() {
  const files = [join(root, 'README.md'), ...publicPackages().map((pkg) => join(pkg.dir, 'README.md'))]
  const examples = []
  for (const file of files) {
    const source = relative(root, file)
    const lines = readFileSync(file, 'utf8').split('\n')
    let open
    for (const [index, line] of lines.entries()) {
      if (open === undefined) {
        const fence = /^```ts(?:\s+(typecheck-only|not-tested)(?::\s*(.*))?)?\s*$/.exec(line)
        if (fence)
          open = {
            line: index + 1,
            run: fence[1] === undefined,
            skip: fence[1] === 'not-tested',
            mode: fence[1] ?? 'run',
            reason: fence[2]?.trim() ?? '',
            body: [],
          }
      } else if (line.startsWith('```')) {
        const code = `${open.body.join('\n')}\n`
        const slug = source
          .replace(/[^a-z0-9]+/gi, '-')
          .replace(/-md$/i, '')
          .toLowerCase()
        examples.push({
          id: `${slug}-L${open.line}`,
          source: `${source}:${open.line}`,
          code,
          run: open.run,
          skip: open.skip,
          mode: open.mode,
          reason: open.reason,
          imports: [...code.matchAll(/from '([^']+)'/g)].map((m) => m[1]),
        })
        open = undefined
      } else {
        open.body.push(line)
      }
    }
  }
  return examples
}

/**
 * The same program pointed at the mock: m3ter's origins become the mock's, and each provider gets the mock's
 * token URL and scope (`__mock`, from the environment). Typechecking uses the example exactly as written.
 */
export function againstMock(code) {
  const prelude = 'const __mock = JSON.parse(process.env.M3TER_MOCK_PROVIDER_OPTIONS ?? "{}")\n'
  return (
    prelude +
    code
      .replaceAll('https://api.m3ter.com', '${process.env.M3TER_MOCK_API_URL}')
      .replaceAll('https://ingest.m3ter.com', '${process.env.M3TER_MOCK_INGEST_URL}')
      .replace(/(['"])\$\{process\.env\.(M3TER_MOCK_\w+)\}([^'"\n]*)\1/g, '`${process.env.$2}$3`')
      .replaceAll('createTokenProvider()', 'createTokenProvider(__mock)')
      .replaceAll('createTokenProvider({', 'createTokenProvider({ ...__mock,')
  )
}
