// A Basic or Bearer credential as it appears in a header, a form or query (`Basic+…`, `basic=…`), or in a
// message that quotes one; percent-escapes count as part of the value (`%3D` padding).
const CREDENTIAL = /\b(basic|bearer)(\s+|%20|\+|=)[\w+/=.~%-]+/gi
// User info in a URL (`https://key:secret@host`, `https://token@host`): whatever stands before the `@`
// may be a secret. A password is matched up to the `@` even across a `/`, as a raw secret may hold one.
const URL_USER_INFO = /(\/\/)(?:[^\s"'<>/?#@:]*:[^\s"'<>@]*|[^\s"'<>/?#@:]+)@/g
// `key:secret@host` without a scheme. Not a URL's user info already replaced (`https://[redacted]@`): its
// scheme would pass for a key and `//[redacted]` for a secret, and the message would lose the scheme.
const BARE_USER_INFO = /(^|[\s"'(<=,;])[^\s"'<>/?#@:]+:(?!\/\/\[redacted\]@)[^\s"'<>@]+@/g
// A JWT (every m3ter access token is one), quoted without its `Bearer`.
const JWT = /\beyJ[\w-]+\.[\w-]+\.[\w-]*/g
// A run that may be base64; only runs that decode to `key:secret` text are replaced (see basicValue).
const BASE64_RUN = /[A-Za-z0-9+/]{6,}={0,2}/g
const strictUtf8 = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true })

/**
 * A copy of an error to keep as an `M3terAuthError`'s cause: its name, code and message (and those of its
 * own causes), with every credential replaced: `Basic …` / `Bearer …` values (also as `Basic+…` or
 * `basic=…`), a bare base64 Basic value, a bare JWT, and the user info of a URL (`key:secret@`). An
 * injected fetch or a mocking library may describe the request it failed, headers included; the original
 * object is not kept, as any property of it could hold the same value. Anything that is not an Error or a
 * string is dropped.
 *
 * @example
 * ```ts
 * new M3terAuthError('token_endpoint_unavailable', 'POST https://api.m3ter.com/oauth/token: request failed', { cause: scrubbed(err) })
 * ```
 */
export function scrubbed(cause: unknown, depth = 0): unknown {
  if (typeof cause === 'string') return scrubbedText(cause)
  if (cause instanceof Error && depth < 5)
    return Object.assign(
      new Error(scrubbed(cause.message) as string, { cause: scrubbed(cause.cause, depth + 1) }),
      {
        name: cause.name,
        code: (cause as { code?: unknown }).code,
      },
    )
}

function scrubbedText(text: string): string {
  return text
    .replace(CREDENTIAL, '$1 [redacted]')
    .replace(URL_USER_INFO, '$1[redacted]@')
    .replace(BARE_USER_INFO, '$1[redacted]@')
    .replace(JWT, '[redacted]')
    .replace(BASE64_RUN, (run) => (isBasicValue(run) ? '[redacted]' : run))
}

// The base64 of `key:secret`: it decodes to well-formed UTF-8 text, without control characters, that holds
// a colon between two non-empty parts. Random base64-looking words (ids, paths) almost never do.
function isBasicValue(run: string): boolean {
  let binary: string
  try {
    binary = atob(run)
  } catch {
    return false
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
  let text: string
  try {
    text = strictUtf8.decode(bytes)
  } catch {
    return false
  }
  const colon = text.indexOf(':')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what rules a run out
  return colon > 0 && colon < text.length - 1 && !/[\u0000-\u001f\u007f]/.test(text)
}
