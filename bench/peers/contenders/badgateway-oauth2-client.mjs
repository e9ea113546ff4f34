// @badgateway/oauth2-client as its README sets up the client credentials grant: an OAuth2Client, and its
// OAuth2Fetch wrapper whose getNewToken calls client.clientCredentials(). No clock can be injected: it
// reads Date.now().
import { OAuth2Client, OAuth2Fetch } from '@badgateway/oauth2-client'

export function create({ key, tokenUrl }) {
  const token = new URL(tokenUrl)
  const client = new OAuth2Client({
    server: token.origin,
    clientId: key.accessKeyId,
    clientSecret: key.apiSecret,
    tokenEndpoint: token.pathname,
  })
  const wrapper = new OAuth2Fetch({ client, getNewToken: () => client.clientCredentials() })
  return {
    async call(url) {
      const res = await wrapper.fetch(url)
      await res.arrayBuffer()
      return res.status
    },
    close() {},
  }
}
