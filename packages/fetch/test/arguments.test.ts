import { createTokenProvider } from '@m3ter-auth/core'
import { expect, it } from 'vitest'
import { withM3terAuth } from '../src/index.ts'

// Before: both were accepted and the first request failed ("Cannot read properties of undefined (reading
// 'inScope')", "send is not a function").
it('withM3terAuth checks its arguments when called: a TypeError naming the argument', () => {
  expect(() => withM3terAuth(undefined as never)).toThrow(
    new TypeError(
      'withM3terAuth(auth, fetch?): auth must be the token provider from createTokenProvider() (or a token pool); got undefined',
    ),
  )
  const auth = createTokenProvider({ credentials: { accessKeyId: 'k', apiSecret: 's' } })
  expect(() => withM3terAuth(auth, 'https://api.m3ter.com' as never)).toThrow(
    new TypeError('withM3terAuth(auth, fetch?): fetch must be a function; got a string'),
  )
})
