import { describe, expect, it } from 'vitest'
import { scrubbed } from './scrub.ts'

// The edges of the scrubber's patterns that a one-character change to scrub.ts would move without its own
// tests noticing (found by mutation testing, issue 28). Each output is compared whole: a pattern that misses
// is often covered by a broader one that takes more text with it (the scheme of a URL, a JWT left in
// pieces), which a "the secret is gone" check cannot tell apart.

const base64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes))
const base64Text = (text: string) => base64([...new TextEncoder().encode(text)])

describe('user info in a URL', () => {
  it('replaces a key and secret, an empty key, an empty secret or a lone token, keeping scheme and host', () => {
    expect(scrubbed('fetch https://key-1:s3cr/et@api.m3ter.com/oauth')).toBe(
      'fetch https://[redacted]@api.m3ter.com/oauth',
    )
    expect(scrubbed('fetch redis://:s3cret@cache:6379')).toBe('fetch redis://[redacted]@cache:6379')
    expect(scrubbed('fetch https://key-1:@api.m3ter.com/')).toBe('fetch https://[redacted]@api.m3ter.com/')
    expect(scrubbed('fetch https://tok3n@api.m3ter.com/')).toBe('fetch https://[redacted]@api.m3ter.com/')
  })
})

describe('user info without a scheme', () => {
  it('replaces it at the start of the text, of a line, and after a space or an equals sign', () => {
    expect(scrubbed('key-1:s3cret@api.m3ter.com')).toBe('[redacted]@api.m3ter.com')
    expect(scrubbed('failed\nkey-1:s3cret@api.m3ter.com')).toBe('failed\n[redacted]@api.m3ter.com')
    expect(scrubbed('no route to key-1:s3cret@api.m3ter.com')).toBe('no route to [redacted]@api.m3ter.com')
    expect(scrubbed('x?to=key-1:s3cret@api.m3ter.com')).toBe('x?to=[redacted]@api.m3ter.com')
  })
})

describe('a bare JWT', () => {
  it('is replaced whole: header, payload and signature, one character each or many', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'
    expect(scrubbed(`token ${jwt} refused`)).toBe('token [redacted] refused')
    expect(scrubbed('token eyJa.b.c refused')).toBe('token [redacted] refused')
  })
  it('is replaced with its trailing dot when it has no signature (alg none)', () => {
    expect(scrubbed('token eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0. refused')).toBe('token [redacted] refused')
  })
})

describe('a bare base64 Basic value', () => {
  it('is replaced with no padding, one = or two', () => {
    const credentials = ['key:secret', 'key1:secret', 'key-1:secret']
    // Their three lengths give two, one and no padding characters.
    expect(credentials.map((text) => base64Text(text).split('=').length - 1)).toEqual([2, 1, 0])
    for (const text of credentials)
      expect(scrubbed(`sent ${base64Text(text)} to m3ter`)).toBe('sent [redacted] to m3ter')
  })
  it('is left alone when the text it decodes to has an empty key or an empty secret', () => {
    for (const text of [':secret-value', 'key-value:'])
      expect(scrubbed(`id ${base64Text(text)} x`)).toBe(`id ${base64Text(text)} x`)
  })
  it('is left alone when it decodes to a control character or to bytes that are not UTF-8', () => {
    const withTab = base64Text('key:sec\tret')
    expect(scrubbed(`id ${withTab}`)).toBe(`id ${withTab}`)
    // 0xC3 0x28 is an invalid UTF-8 sequence; a lenient decoder would read U+FFFD, then `(:abc`.
    const notUtf8 = base64([0xc3, 0x28, 0x3a, 0x61, 0x62, 0x63])
    expect(scrubbed(`id ${notUtf8}`)).toBe(`id ${notUtf8}`)
  })
})
