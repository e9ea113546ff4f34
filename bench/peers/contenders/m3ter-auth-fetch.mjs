// m3ter-auth with fetch, as @m3ter-auth/fetch's README sets it up. The clock is the bench's manual clock.
import { createTokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'

export function create({ key, tokenUrl, apiUrl, clock }) {
  const auth = createTokenProvider({ credentials: key, tokenUrl, scope: [apiUrl], clock })
  const m3terFetch = withM3terAuth(auth)
  return {
    async call(url) {
      const res = await m3terFetch(url)
      await res.arrayBuffer()
      return res.status
    },
    snapshot: () => auth.snapshot(),
    close: () => auth.close(),
  }
}
