// BASELINE, not the SDK: a plain reproduction of the token handling m3ter's official Java SDK documents: a
// new token before every request, nothing cached, no refresh and retry on 401/403. Basic auth is base64 of
// the raw `key:secret`, as m3ter wants.
// base64 of the UTF-8 bytes, with web APIs only so the bundle size is that of a Worker.
const base64 = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text)))

export function create({ key, tokenUrl }) {
  const basic = `Basic ${base64(`${key.accessKeyId}:${key.apiSecret}`)}`
  const getToken = async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    })
    if (!res.ok) throw new Error(`token request failed with status ${res.status}`)
    return (await res.json()).access_token
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
