import type { MockAccessKey, MockM3ter } from '../src/index.ts'

/** Basic auth exactly as the seed: base64 of raw UTF-8 `key:secret`. */
export const basic = (key: { accessKeyId: string; apiSecret: string }) =>
  `Basic ${Buffer.from(`${key.accessKeyId}:${key.apiSecret}`, 'utf8').toString('base64')}`

export async function requestToken(
  m3ter: MockM3ter,
  key: { accessKeyId: string; apiSecret: string } = m3ter.keys[0] as MockAccessKey,
  init: { body?: string; contentType?: string } = {},
) {
  const res = await fetch(m3ter.tokenUrl, {
    method: 'POST',
    headers: { authorization: basic(key), 'content-type': init.contentType ?? 'application/json' },
    body: init.body ?? JSON.stringify({ grant_type: 'client_credentials' }),
  })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

export async function token(m3ter: MockM3ter): Promise<string> {
  const res = await requestToken(m3ter)
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`)
  return (JSON.parse(res.text) as { access_token: string }).access_token
}

export async function call(url: string, init: RequestInit & { bearer?: string } = {}) {
  const headers = new Headers(init.headers)
  if (init.bearer) headers.set('authorization', `Bearer ${init.bearer}`)
  const res = await fetch(url, { ...init, headers, redirect: 'manual' })
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {}
  return { status: res.status, headers: res.headers, text, json: json as Record<string, unknown> }
}
