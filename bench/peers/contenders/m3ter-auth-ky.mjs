// m3ter-auth with ky 1, as @m3ter-auth/ky's README sets it up. The clock is the bench's manual clock.
import { createTokenProvider } from '@m3ter-auth/core'
import { m3terAuth } from '@m3ter-auth/ky'
import ky from 'ky'

export function create({ key, tokenUrl, apiUrl, clock }) {
  const auth = createTokenProvider({ credentials: key, tokenUrl, scope: [apiUrl], clock })
  const api = ky.extend(m3terAuth(auth))
  return {
    async call(url) {
      const res = await api(url)
      await res.arrayBuffer()
      return res.status
    },
    snapshot: () => auth.snapshot(),
    close: () => auth.close(),
  }
}
