import { expect, it } from 'vitest'
import { m3terAuthHooks } from '../src/index.ts'

// Before: `m3terAuthHooks(undefined)` was accepted and the first request failed with "Cannot read
// properties of undefined (reading 'inScope')".
it('m3terAuthHooks checks its argument when called: a TypeError naming it', () => {
  expect(() => m3terAuthHooks(undefined as never)).toThrow(
    new TypeError(
      'm3terAuthHooks(auth): auth must be the token provider from createTokenProvider() (or a token pool); got undefined',
    ),
  )
})
