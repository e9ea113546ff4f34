// m3ter-auth with got 14, as @m3ter-auth/got's README sets it up. The clock is the bench's manual clock.
import { createTokenProvider } from '@m3ter-auth/core'
import { m3terAuthHooks } from '@m3ter-auth/got'
import got from 'got'

export function create({ key, tokenUrl, apiUrl, clock }) {
  const auth = createTokenProvider({ credentials: key, tokenUrl, scope: [apiUrl], clock })
  const api = got.extend({ hooks: m3terAuthHooks(auth) })
  return {
    async call(url) {
      return (await api(url)).statusCode
    },
    snapshot: () => auth.snapshot(),
    close: () => auth.close(),
  }
}
