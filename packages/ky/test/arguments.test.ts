import { expect, it } from 'vitest'
import { m3terAuth } from '../src/index.ts'

// Before: `m3terAuth(undefined)` was accepted and the first request failed with "Cannot read properties of
// undefined (reading 'inScope')".
it('m3terAuth checks its argument when called: a TypeError naming it', () => {
  expect(() => m3terAuth(null as never)).toThrow(
    new TypeError(
      'm3terAuth(auth): auth must be the token provider from createTokenProvider() (or a token pool); got null',
    ),
  )
})
