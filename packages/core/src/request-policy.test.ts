import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createTokenProvider } from './provider.ts'
import {
  answeredFrom,
  bearerHeader,
  canSendTwice,
  judgeAnswer,
  MAX_BODY_BYTES,
  shouldAuthorize,
  tokenOfHeader,
} from './request-policy.ts'

describe('request policy', () => {
  it('bearer header and token of a header are inverse; anything but Bearer has no token', () => {
    expect(tokenOfHeader(bearerHeader('abc.def'))).toBe('abc.def')
    for (const other of ['Basic dXNlcjpwdw==', 'bearer', '', undefined, ['Bearer x']])
      expect(tokenOfHeader(other)).toBeUndefined()
  })

  it('lists what can be sent twice: none, strings, bytes, URLSearchParams, FormData, Blob, all under the limit', () => {
    const form = new FormData()
    form.append('a', 'b')
    for (const body of [
      undefined,
      null,
      'text',
      new Uint8Array(3),
      new ArrayBuffer(3),
      Buffer.from('x'),
      new URLSearchParams('a=1'),
      form,
      new Blob(['x']),
    ])
      expect(canSendTwice(body)).toBe(true)
    function* generator() {
      yield 'x'
    }
    async function* asyncGenerator() {
      yield 'x'
    }
    for (const body of [
      Readable.from(['x']),
      new ReadableStream(),
      generator(),
      asyncGenerator(),
      [1, 2, 3][Symbol.iterator](),
      { any: 'object' },
      'x'.repeat(MAX_BODY_BYTES),
      new Uint8Array(MAX_BODY_BYTES),
      'é'.repeat(MAX_BODY_BYTES / 2),
    ])
      expect(canSendTwice(body)).toBe(false)
    expect(canSendTwice('x'.repeat(MAX_BODY_BYTES - 1))).toBe(true)
  })

  it('tells the origin that answered: asked, other, or unknown', () => {
    const asked = 'https://api.m3ter.com/organizations/o/meters'
    expect(answeredFrom(asked, asked)).toBe('asked')
    expect(answeredFrom(asked, 'https://api.m3ter.com/other')).toBe('asked')
    expect(answeredFrom(asked, 'https://ingest.m3ter.com/x')).toBe('other')
    expect(answeredFrom(asked, '')).toBe('unknown')
    expect(answeredFrom(asked, undefined)).toBe('unknown')
    expect(answeredFrom(asked, 'not a url')).toBe('unknown')
  })

  it('authorizes only in scope, never the token endpoint, never a request with its own Basic', () => {
    const auth = createTokenProvider({ credentials: { accessKeyId: 'k', apiSecret: 's' } })
    expect(shouldAuthorize(auth, 'https://api.m3ter.com/organizations/o/meters')).toBe(true)
    expect(shouldAuthorize(auth, new URL('https://ingest.m3ter.com/organizations/o/measurements'))).toBe(true)
    expect(shouldAuthorize(auth, 'https://api.m3ter.com/oauth/token')).toBe(false)
    expect(shouldAuthorize(auth, 'https://API.m3ter.com:443/oauth/token?x=1')).toBe(false)
    expect(shouldAuthorize(auth, 'https://api.m3ter.com/oauth/other')).toBe(true)
    expect(shouldAuthorize(auth, 'https://api.m3ter.com/x', 'Basic a2V5OnNlY3JldA==')).toBe(false)
    expect(shouldAuthorize(auth, 'https://api.m3ter.com/x', 'Bearer someone-elses')).toBe(true)
    expect(shouldAuthorize(auth, 'https://evil.example/x')).toBe(false)
  })

  it('passes on answers that carry none of our tokens, come from elsewhere, or are retries', () => {
    const auth = createTokenProvider({ credentials: { accessKeyId: 'k', apiSecret: 's' } })
    const base = { method: 'GET', url: 'https://api.m3ter.com/x', status: 401 } as const
    expect(judgeAnswer(auth, { ...base, token: undefined, answeredFrom: 'asked' })).toBe('pass')
    expect(judgeAnswer(auth, { ...base, token: 't', answeredFrom: 'other' })).toBe('pass')
    expect(judgeAnswer(auth, { ...base, token: 't', answeredFrom: 'unknown' })).toBe('pass')
    expect(judgeAnswer(auth, { ...base, token: 't', answeredFrom: 'asked', retried: true })).toBe('pass')
    // A 401 for our token on a route that never refused a new token: dropped, and retried when the body
    // allows it. (The route above did refuse one, in the retried answer: it is held, see the next test.)
    const fresh = { ...base, url: 'https://api.m3ter.com/y', token: 't', answeredFrom: 'asked' } as const
    expect(judgeAnswer(auth, fresh)).toBe('retry')
    const stream = Readable.from(['x'])
    expect(judgeAnswer(auth, { ...fresh, body: stream })).toBe('invalidate')
  })
})
