// m3ter-auth with undici 7, as @m3ter-auth/undici's README sets it up. The clock is the bench's manual clock.
import { createTokenProvider } from '@m3ter-auth/core'
import { m3terAuthInterceptor } from '@m3ter-auth/undici'
import { Agent, request } from 'undici'

export function create({ key, tokenUrl, apiUrl, clock }) {
  const auth = createTokenProvider({ credentials: key, tokenUrl, scope: [apiUrl], clock })
  const dispatcher = new Agent().compose(m3terAuthInterceptor(auth))
  return {
    async call(url) {
      const { statusCode, body } = await request(url, { dispatcher })
      await body.arrayBuffer()
      return statusCode
    },
    snapshot: () => auth.snapshot(),
    async close() {
      await dispatcher.close()
      await auth.close()
    },
  }
}
