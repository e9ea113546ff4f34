// axios-auth-refresh as its README shows: the token kept where the request interceptor reads it (the README
// uses localStorage; a variable here), a request interceptor that sets `Bearer <token>` on every request,
// and refreshAuthLogic that fetches a new token (axios's `auth` option sends the Basic header) and puts it on
// the failed request before the plugin retries it. `statusCodes` is the plugin's option: its default
// ([401]) or [401, 403]. No clock: it never looks at expiry.
import axios from 'axios'
import { createAuthRefresh } from 'axios-auth-refresh'

export function create({ key, tokenUrl }, { statusCodes } = {}) {
  let token = null
  const api = axios.create()
  api.interceptors.request.use((request) => {
    request.headers.Authorization = `Bearer ${token}`
    return request
  })
  const refreshAuthLogic = (failedRequest) =>
    axios
      .post(
        tokenUrl,
        { grant_type: 'client_credentials' },
        { auth: { username: key.accessKeyId, password: key.apiSecret } },
      )
      .then((tokenRefreshResponse) => {
        token = tokenRefreshResponse.data.access_token
        failedRequest.response.config.headers.Authorization = `Bearer ${token}`
      })
  createAuthRefresh(api, refreshAuthLogic, statusCodes ? { statusCodes } : {})
  return {
    async call(url) {
      return (await api.get(url)).status
    },
    close() {},
  }
}
