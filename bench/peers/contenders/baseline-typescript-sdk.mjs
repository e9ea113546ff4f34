// BASELINE, not the SDK: a plain reproduction of the token handling m3ter's official TypeScript SDK
// documents (the SDK is not on the npm registry these machines reach). One cached token, refreshed when it is
// within 300 s of expiry; no shared in-flight request (every caller that finds no usable token fetches
// one); no refresh and retry on 401/403. Basic auth is base64 of the raw `key:secret`, as m3ter wants.
const EARLY_REFRESH_MS = 300_000

// base64 of the UTF-8 bytes, with web APIs only so the bundle size is that of a Worker.
const base64 = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text)))

export function create({ key, tokenUrl }) {
  const basic = `Basic ${base64(`${key.accessKeyId}:${key.apiSecret}`)}`
  let cached
  const getToken = async () => {
    if (cached && Date.now() < cached.expiresAt - EARLY_REFRESH_MS) return cached.token
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    })
    if (!res.ok) throw new Error(`token request failed with status ${res.status}`)
    const body = await res.json()
    cached = { token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 }
    return cached.token
  }
  return {
    async call(url) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${await getToken()}` } })
      await res.arrayBuffer()
      return res.status
    },
    close() {},
  }
}
