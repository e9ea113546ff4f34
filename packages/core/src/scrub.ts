// A Basic or Bearer credential as it appears in a header or in a message that quotes one.
const CREDENTIAL = /\b(basic|bearer)(\s+|%20|=)[\w+/=.~-]+/gi

/**
 * A copy of an error to keep as an `M3terAuthError`'s cause: its name, code and message (and those of its
 * own causes), with every `Basic …` / `Bearer …` value replaced. An injected fetch or a mocking library may
 * describe the request it failed, headers included; the original object is not kept, as any property of
 * it could hold the same value. Anything that is not an Error or a string is dropped.
 *
 * @example
 * ```ts
 * new M3terAuthError('token_endpoint_unavailable', 'POST https://api.m3ter.com/oauth/token: request failed', { cause: scrubbed(err) })
 * ```
 */
export function scrubbed(cause: unknown, depth = 0): unknown {
  if (typeof cause === 'string') return cause.replace(CREDENTIAL, '$1 [redacted]')
  if (cause instanceof Error && depth < 5)
    return Object.assign(
      new Error(scrubbed(cause.message) as string, { cause: scrubbed(cause.cause, depth + 1) }),
      {
        name: cause.name,
        code: (cause as { code?: unknown }).code,
      },
    )
}
