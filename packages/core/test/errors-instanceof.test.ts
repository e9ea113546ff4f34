import { runInNewContext } from 'node:vm'
import { M3terAuthError } from '@m3ter-auth/core'
import { describe, expect, it } from 'vitest'

// Another copy of core (its CJS build, a second install, another realm) makes errors of its own class.
// The packed-tarball test checks the real ESM and CJS builds against each other; this pins the rule.
describe('instanceof M3terAuthError', () => {
  it('is true for an error made by another copy of the class, in another realm', () => {
    const foreign = runInNewContext(`
      const e = new Error('token endpoint timed out')
      Object.defineProperty(e, Symbol.for('@m3ter-auth/core.M3terAuthError'), { value: true })
      e
    `)
    expect(foreign instanceof Error).toBe(false)
    expect(foreign instanceof M3terAuthError).toBe(true)
  })

  it('is false for other errors and values, and the brand is invisible', () => {
    const error = new M3terAuthError('timeout', 'getToken: timed out')
    expect(error instanceof M3terAuthError).toBe(true)
    expect(new Error('x') instanceof M3terAuthError).toBe(false)
    expect({ name: 'M3terAuthError', code: 'timeout' } instanceof M3terAuthError).toBe(false)
    expect((null as unknown as object) instanceof M3terAuthError).toBe(false)
    expect(Object.keys(error)).not.toContain('brand')
    expect(JSON.stringify(error)).not.toContain('m3ter-auth/core')
  })

  it('keeps its ordinary meaning for a subclass', () => {
    class Special extends M3terAuthError {}
    expect(new Special('timeout', 'x') instanceof Special).toBe(true)
    expect(new M3terAuthError('timeout', 'x') instanceof Special).toBe(false)
    expect(new Special('timeout', 'x') instanceof M3terAuthError).toBe(true)
  })
})
