import { describe, expect, it } from 'vitest'
import { FORMAT_VERSION, parseTokenReply } from './protocol.ts'

const token = { accessToken: 't', obtainedAt: 1, expiresAt: 3, refreshAt: 2 }

describe('parseTokenReply', () => {
  it('takes a reply of this version', () => {
    expect(parseTokenReply({ v: FORMAT_VERSION, token })).toEqual(token)
  })

  it.each([
    ['another version', { v: FORMAT_VERSION + 1, token }],
    ['no token', { v: FORMAT_VERSION }],
    ['an empty token', { v: FORMAT_VERSION, token: { ...token, accessToken: '' } }],
    ['a time that is not a number', { v: FORMAT_VERSION, token: { ...token, expiresAt: '3' } }],
    ['a time that is not finite', { v: FORMAT_VERSION, token: { ...token, refreshAt: null } }],
    ['not an object', 'token'],
  ])('ignores %s', (_, reply) => {
    expect(parseTokenReply(reply)).toBeUndefined()
  })
})
