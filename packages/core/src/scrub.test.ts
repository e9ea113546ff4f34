import { describe, expect, it } from 'vitest'
import { utf8ToBase64 } from './base64.ts'
import { scrubbed } from './scrub.ts'

const KEY = 'a1b2c3d4-key'
const SECRET = 'S3cr3t/with+sl4sh=='
const BASIC = utf8ToBase64(`${KEY}:${SECRET}`)
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'

describe('scrubbed', () => {
  it.each([
    ['a bare base64 Basic value', `request failed: ${BASIC}`],
    ['a bare base64 Basic value in a header dump', `{"authorization":"${BASIC}"}`],
    ['Basic with a space', `authorization: Basic ${BASIC}`],
    ['Basic+value, as a form encodes it', `authorization=Basic+${BASIC}`],
    ['Basic%20value', `?auth=Basic%20${encodeURIComponent(BASIC)}`],
    ['Basic=value', `basic=${BASIC}`],
    ['key:secret@ in a URL', `connect failed: https://${KEY}:${SECRET}@api.m3ter.com/oauth/token`],
    ['key:secret@ without a scheme', `no route to ${KEY}:${SECRET}@api.m3ter.com`],
    ['percent-encoded user info', `https://${KEY}:${encodeURIComponent(SECRET)}@api.m3ter.com/`],
    ['a Bearer value', `Bearer ${JWT}`],
    ['Bearer+value', `authorization=Bearer+${JWT}`],
    ['a bare JWT', `token ${JWT} refused`],
  ])('replaces %s', (_, text) => {
    const out = scrubbed(text) as string
    for (const secret of [SECRET, encodeURIComponent(SECRET), BASIC, encodeURIComponent(BASIC), JWT])
      expect(out).not.toContain(secret)
    expect(out).toContain('[redacted]')
  })

  it('leaves words, ids, paths and e-mail addresses alone', () => {
    for (const text of [
      'POST https://api.m3ter.com/oauth/token: request failed',
      'GET https://api.m3ter.com/organizations/0f5c3b2a-1d2e/meters?pageSize=100',
      'connect ECONNREFUSED 127.0.0.1:443',
      'write to support@m3ter.com',
    ])
      expect(scrubbed(text)).toBe(text)
  })

  it('scrubs the messages of an error and its causes, keeping name and code', () => {
    const inner = Object.assign(new Error(`sent ${BASIC}`), { code: 'E_INNER' })
    const outer = new TypeError(`fetch https://${KEY}:${SECRET}@h/`, { cause: inner })
    const copy = scrubbed(outer) as Error & { cause: Error & { code: string } }
    expect(copy.name).toBe('TypeError')
    expect(copy.message).not.toContain(SECRET)
    expect(copy.cause.message).not.toContain(BASIC)
    expect(copy.cause.code).toBe('E_INNER')
  })
})
