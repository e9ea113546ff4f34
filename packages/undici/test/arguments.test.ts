import { expect, it } from 'vitest'
import { m3terAuthInterceptor } from '../src/index.ts'

// Before: `m3terAuthInterceptor(undefined)` was accepted and the first request failed with "Cannot read
// properties of undefined (reading 'inScope')".
it('m3terAuthInterceptor checks its argument when called: a TypeError naming it', () => {
  expect(() => m3terAuthInterceptor('M3TER_API_SECRET' as never)).toThrow(
    new TypeError(
      'm3terAuthInterceptor(auth): auth must be the token provider from createTokenProvider() (or a token pool); got a string',
    ),
  )
})
