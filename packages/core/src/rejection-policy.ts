/**
 * Does an API answer mean "maybe the token"? m3ter answers an expired or revoked bearer with 403 (its
 * error table has no 401), and other servers use 401, so both lead to one refresh and one retry.
 *
 * @example
 * ```ts
 * if (isTokenRejected(res.status)) auth.invalidate(token)
 * ```
 */
export function isTokenRejected(status: number): boolean {
  return status === 401 || status === 403
}
