// m3ter-auth with axios, as @m3ter-auth/axios's README sets it up. The clock is the bench's manual clock.
import { attachM3terAuth } from '@m3ter-auth/axios'
import { createTokenProvider } from '@m3ter-auth/core'
import axios from 'axios'

export function create({ key, tokenUrl, apiUrl, clock }) {
  const auth = createTokenProvider({ credentials: key, tokenUrl, scope: [apiUrl], clock })
  const api = axios.create()
  attachM3terAuth(api, auth)
  return {
    async call(url) {
      return (await api.get(url)).status
    },
    snapshot: () => auth.snapshot(),
    close: () => auth.close(),
  }
}
