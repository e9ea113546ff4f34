import { describe, expect, it } from 'vitest'
import { parseBasicAuth, parseGrantType } from './basic-auth.ts'

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')

describe('parseBasicAuth', () => {
  it('decodes raw UTF-8 key:secret, splitting at the first colon', () => {
    expect(parseBasicAuth(`Basic ${b64('id:sé:crét ✓')}`)).toEqual({
      accessKeyId: 'id',
      apiSecret: 'sé:crét ✓',
    })
    expect(parseBasicAuth(`basic   ${b64('id:')}`)).toEqual({ accessKeyId: 'id', apiSecret: '' })
  })

  it('refuses other schemes, no colon, empty key and garbage', () => {
    for (const header of [
      undefined,
      '',
      'Bearer x',
      `Basic ${b64('nocolon')}`,
      `Basic ${b64(':s')}`,
      'Basic ***',
    ])
      expect(parseBasicAuth(header)).toBeUndefined()
  })
})

describe('parseGrantType', () => {
  it('reads JSON and form bodies, by content type or by trying both', () => {
    expect(parseGrantType('{"grant_type":"client_credentials"}', 'application/json; charset=utf-8')).toBe(
      'client_credentials',
    )
    expect(parseGrantType('grant_type=client_credentials', 'application/x-www-form-urlencoded')).toBe(
      'client_credentials',
    )
    expect(parseGrantType('grant_type=password', undefined)).toBe('password')
    expect(parseGrantType('{"grant_type":"x"}', undefined)).toBe('x')
    expect(parseGrantType('', 'application/json')).toBeUndefined()
    expect(parseGrantType('[1]', 'application/json')).toBeUndefined()
  })
})
