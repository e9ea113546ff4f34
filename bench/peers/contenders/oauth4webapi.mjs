// oauth4webapi as its client credentials example does it: clientCredentialsGrantRequest with
// ClientSecretBasic, processClientCredentialsResponse, then protectedResourceRequest with the access token.
// The library is low-level and leaves caching to its caller; its example keeps none, so neither does this.
// The authorization server is described by hand (m3ter publishes no discovery document); http on loopback
// needs its allowInsecureRequests option.
import * as oauth from 'oauth4webapi'

export function create({ key, tokenUrl }) {
  const as = { issuer: new URL(tokenUrl).origin, token_endpoint: tokenUrl }
  const client = { client_id: key.accessKeyId }
  const clientAuth = oauth.ClientSecretBasic(key.apiSecret)
  const options = { [oauth.allowInsecureRequests]: true }
  return {
    async call(url) {
      const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, {}, options)
      const { access_token } = await oauth.processClientCredentialsResponse(as, client, response)
      const res = await oauth.protectedResourceRequest(
        access_token,
        'GET',
        new URL(url),
        undefined,
        undefined,
        options,
      )
      await res.arrayBuffer()
      return res.status
    },
    close() {},
  }
}
