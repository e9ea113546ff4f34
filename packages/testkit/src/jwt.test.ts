import { describe, expect, it } from 'vitest'
import { decodeJwtClaims, newSigningKey, signJwt, verifyJwt } from './jwt.ts'

const claims = { orgId: 'org', keyId: 'key', iat: 100, exp: 200, jti: 'j1', sub: 'service-user' }

describe('jwt', () => {
  it('round-trips claims with the signing key', () => {
    const key = newSigningKey()
    const token = signJwt(claims, key)
    expect(token.split('.')).toHaveLength(3)
    expect(verifyJwt(token, key)).toEqual({ ok: true, claims })
    expect(decodeJwtClaims(token)).toEqual(claims)
  })

  it('refuses another key, a tampered payload and a tampered signature', () => {
    const key = newSigningKey()
    const token = signJwt(claims, key)
    expect(verifyJwt(token, newSigningKey())).toEqual({ ok: false, reason: 'signature' })
    const [h, , s] = token.split('.')
    const forged = Buffer.from(JSON.stringify({ ...claims, orgId: 'other' })).toString('base64url')
    expect(verifyJwt(`${h}.${forged}.${s}`, key)).toEqual({ ok: false, reason: 'signature' })
    expect(verifyJwt(`${token.slice(0, -2)}AA`, key).ok).toBe(false)
  })

  it('calls anything not three parts malformed', () => {
    const key = newSigningKey()
    for (const bad of ['', 'abc', 'a.b', 'a.b.c.d']) expect(verifyJwt(bad, key).ok).toBe(false)
    expect(verifyJwt('a.b', key)).toEqual({ ok: false, reason: 'malformed' })
    expect(decodeJwtClaims('x.bm90IGpzb24.y')).toBeUndefined()
  })
})
