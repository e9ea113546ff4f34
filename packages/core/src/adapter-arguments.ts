/**
 * Checks, when an adapter is attached, that it was given a token provider (or pool), so that a missing or
 * swapped argument fails there with a `TypeError` naming it, not at the first request with "Cannot read
 * properties of undefined". Only the shape is checked: any object will do, so that providers from another
 * copy of core and pools pass.
 *
 * @param value - what the caller passed as `auth`
 * @param where - the adapter function and the argument's position, for the message
 * @throws TypeError when `value` is not an object
 *
 * @example
 * ```ts
 * export function m3terAuthHooks(auth: TokenProvider) {
 *   requireTokenProvider(auth, 'm3terAuthHooks(auth)')
 *   // …
 * }
 * ```
 */
export function requireTokenProvider(value: unknown, where: string): void {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
    throw new TypeError(
      `${where}: auth must be the token provider from createTokenProvider() (or a token pool); got ${describeArgument(value)}`,
    )
  }
}

/**
 * What a wrong argument was, for a message: its type, never its value (it could be a secret).
 *
 * @example
 * ```ts
 * describeArgument(undefined) // 'undefined'
 * describeArgument('s3cr3t') // 'a string'
 * ```
 */
export function describeArgument(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
