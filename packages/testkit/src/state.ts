import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { EntityStore } from './entities.ts'
import type { FaultRegistry } from './faults.ts'
import { type MockTokenClaims, newSigningKey, signJwt } from './jwt.ts'
import type { KeyRing, MockAccessKey } from './keys.ts'
import type { PermissionController } from './permissions.ts'
import type { RateLimiter } from './rate-limit.ts'
import type { MockStats } from './stats.ts'

/**
 * Everything the endpoints share; owned by `startMockM3ter`.
 *
 * @example
 * ```ts
 * if (state.revoked.has(claims.jti)) return { ok: false, message: 'Token revoked' }
 * ```
 */
export interface MockState {
  readonly orgId: string
  readonly permissions: PermissionController
  readonly rateLimiter: RateLimiter | undefined
  readonly lifetimeSeconds: number
  readonly rejectStatus: 401 | 403
  readonly now: () => number
  readonly keys: KeyRing
  /** The keys of the other organisations (`organizations` option), by key id: fixed at start. */
  readonly otherKeys: ReadonlyMap<string, { readonly orgId: string; readonly key: MockAccessKey }>
  /** Replaced when the signing key is rotated. */
  signingKey: Buffer
  readonly revoked: Set<string>
  readonly issued: string[]
  stats: MockStats
  readonly meters: EntityStore
  readonly accounts: EntityStore
  readonly faults: FaultRegistry
  /** Answers never sent (hang faults); cut on reset and close. */
  readonly hanging: Set<ServerResponse>
  lastTokenFailed: boolean
  readonly failedApiRequests: Set<string>
}

/**
 * Signs a token for `keyId` with the mock's clock and records it, so leak checks can look for every token.
 * `signingKey` other than the server's makes a token the API will refuse.
 *
 * @example
 * ```ts
 * ex.json(200, { token_type: 'Bearer', access_token: issueToken(state, key.accessKeyId), expires_in: state.lifetimeSeconds })
 * ```
 */
export function issueToken(state: MockState, keyId: string, signingKey: Buffer = state.signingKey): string {
  const iat = Math.floor(state.now() / 1000)
  const claims: MockTokenClaims = {
    // A key of another organisation gets a token for that organisation.
    orgId: state.otherKeys.get(keyId)?.orgId ?? state.orgId,
    keyId,
    iat,
    exp: iat + state.lifetimeSeconds,
    jti: randomUUID(),
    sub: 'service-user',
  }
  const token = signJwt(claims, signingKey)
  state.issued.push(token)
  state.stats.tokensIssued += 1
  return token
}

/**
 * A token no mock will accept: signed with a throwaway key.
 *
 * @example
 * ```ts
 * ex.json(200, { token_type: 'Bearer', access_token: issueRejectedToken(state, keyId), expires_in: state.lifetimeSeconds })
 * ```
 */
export function issueRejectedToken(state: MockState, keyId: string): string {
  return issueToken(state, keyId, newSigningKey())
}
