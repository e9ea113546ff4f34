// Core's two entry points, `@m3ter-auth/core` and `@m3ter-auth/core/internals`, as built: an application (or an
// adapter) that imports both must get one copy of core's module state. Two copies would split the request
// policy's memory (a provider registered through one entry unknown to the other) and the error class.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

type Core = typeof import('@m3ter-auth/core')
type Internals = typeof import('@m3ter-auth/core/internals')

const require = createRequire(import.meta.url)
const here = fileURLToPath(new URL('..', import.meta.url))

const loaders: [string, () => Promise<[Core, Internals]>][] = [
  ['ESM', async () => [await import('@m3ter-auth/core'), await import('@m3ter-auth/core/internals')]],
  ['CommonJS', async () => [require('@m3ter-auth/core'), require('@m3ter-auth/core/internals')]],
]

describe.each(loaders)('core entry points, %s', (_format, load) => {
  it('an error thrown through the internals is made by the main entry’s M3terAuthError class', async () => {
    const [core, internals] = await load()
    let thrown: unknown
    try {
      internals.validateCredentials({ accessKeyId: 'a:b', apiSecret: 's' }, 'credentials')
    } catch (error) {
      thrown = error
    }
    // instanceof is brand-based and would pass across copies; the constructor itself must be the same.
    expect((thrown as object).constructor).toBe(core.M3terAuthError)
    expect(core.isM3terAuthError(thrown)).toBe(true)
  })

  it('the request policy from the internals knows a provider made by the main entry', async () => {
    const [core, internals] = await load()
    const tokenUrl = 'https://api.m3ter.com/oauth/token'
    const auth = core.createTokenProvider({ credentials: { accessKeyId: 'k', apiSecret: 's' }, tokenUrl })
    try {
      // The token endpoint is in scope, yet never gets the bearer: the provider registered its URL.
      expect(auth.inScope(tokenUrl)).toBe(true)
      expect(internals.shouldAuthorize(auth, tokenUrl)).toBe(false)
      expect(internals.shouldAuthorize(auth, 'https://api.m3ter.com/organizations/o/meters')).toBe(true)
    } finally {
      await auth.close()
    }
  })
})

// What a bundler does with an application that imports both entries (esbuild picks `import` for import
// statements, `require` for require calls): the shared chunk is bundled once, so its class is there once.
describe('core entry points in a bundle', () => {
  it.each([
    [
      'import',
      `import { createTokenProvider, M3terAuthError } from '@m3ter-auth/core'
import { judgeAnswer, validateCredentials } from '@m3ter-auth/core/internals'
export { createTokenProvider, M3terAuthError, judgeAnswer, validateCredentials }`,
    ],
    [
      'require',
      `const { createTokenProvider, M3terAuthError } = require('@m3ter-auth/core')
const { judgeAnswer, validateCredentials } = require('@m3ter-auth/core/internals')
module.exports = { createTokenProvider, M3terAuthError, judgeAnswer, validateCredentials }`,
    ],
  ])('through %s, the bundle holds one M3terAuthError class', async (_kind, contents) => {
    const result = await build({
      stdin: { contents, resolveDir: here, loader: 'js' },
      bundle: true,
      platform: 'neutral',
      mainFields: ['module', 'main'],
      write: false,
      logLevel: 'error',
    })
    const code = result.outputFiles[0]?.text ?? ''
    expect(code).toContain('validateCredentials')
    expect(code.split('Symbol.for("@m3ter-auth/core.M3terAuthError")').length - 1).toBe(1)
  })
})
