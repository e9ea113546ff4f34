// DO IT YOURSELF, written here: what a careful user writes with plain fetch instead of a library. One token
// request shared by every caller that needs it (single flight); a refresh in the last 5 minutes before
// expiry, the old token still used while that refresh fails and it has not expired; one retry with a new
// token on 401/403. What it leaves out on purpose, as such code usually does: backoff, Retry-After, a
// cooldown, a bound on a hanging request. Basic auth is base64 of the raw `key:secret`, as m3ter wants.
const REFRESH_WINDOW_MS = 300_000

// base64 of the UTF-8 bytes, with web APIs only so the bundle size is that of a Worker.
const base64 = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text)))

export function create({ key, tokenUrl }) {
  const basic = `Basic ${base64(`${key.accessKeyId}:${key.apiSecret}`)}`
  let current // { token, expiresAt }
  let inFlight // the one token request under way, shared

  const requestToken = async () => {
    const startedAt = Date.now()
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    })
    if (!res.ok) throw new Error(`token request failed with status ${res.status}`)
    const body = await res.json()
    return { token: body.access_token, expiresAt: startedAt + body.expires_in * 1000 }
  }

  const getToken = async () => {
    if (current && Date.now() < current.expiresAt - REFRESH_WINDOW_MS) return current.token
    inFlight ??= requestToken().finally(() => {
      inFlight = undefined
    })
    try {
      current = await inFlight
      return current.token
    } catch (error) {
      if (current && Date.now() < current.expiresAt) return current.token
      throw error
    }
  }

  const send = (url, token) => fetch(url, { headers: { authorization: `Bearer ${token}` } })

  return {
    async call(url) {
      const token = await getToken()
      let res = await send(url, token)
      if (res.status === 401 || res.status === 403) {
        await res.arrayBuffer()
        // Only the first caller to meet the refusal drops the token; the others share its new one.
        if (current?.token === token) current = undefined
        res = await send(url, await getToken())
      }
      await res.arrayBuffer()
      return res.status
    },
    close() {},
  }
}
