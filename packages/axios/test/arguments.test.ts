import { createTokenProvider } from '@m3ter-auth/core'
import axios from 'axios'
import { expect, it } from 'vitest'
import { attachM3terAuth } from '../src/index.ts'

// A wrong argument fails where the adapter is attached, naming the argument; before, `{}` threw "Cannot read
// properties of undefined (reading 'request')" and `undefined` failed only at the first request.
it('attachM3terAuth checks its arguments when attached: a TypeError naming the argument', () => {
  const auth = createTokenProvider({ credentials: { accessKeyId: 'k', apiSecret: 's' } })
  expect(() => attachM3terAuth({} as never, auth)).toThrow(
    new TypeError(
      'attachM3terAuth(instance, auth): instance must be an axios instance (axios.create()); got an object',
    ),
  )
  expect(() => attachM3terAuth(axios.create(), undefined as never)).toThrow(
    new TypeError(
      'attachM3terAuth(instance, auth): auth must be the token provider from createTokenProvider() (or a token pool); got undefined',
    ),
  )
  const detach = attachM3terAuth(axios.create(), auth)
  detach()
})
