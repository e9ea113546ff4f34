/**
 * m3ter refuses an ingest body of this many bytes or more, with a 403 that says nothing about the token.
 * Such a body is never sent twice.
 *
 * @example
 * ```ts
 * if (new TextEncoder().encode(body).byteLength >= MAX_BODY_BYTES) splitBatch()
 * ```
 */
export const MAX_BODY_BYTES = 512_000

/**
 * Can this body be sent a second time? Only the kinds a client builds afresh on every send are listed: none,
 * a string, bytes (ArrayBuffer, typed arrays, Buffer), URLSearchParams, FormData and Blob/File, and only
 * under {@link MAX_BODY_BYTES}. Everything else (streams, iterators, generators, anything unknown) is
 * consumed by the first send.
 *
 * @example
 * ```ts
 * canSendTwice('{"a":1}') // true
 * canSendTwice(Readable.from(['x'])) // false
 * ```
 */
export function canSendTwice(body: unknown): boolean {
  // A body that cannot be sent twice has no size: it counts as endless.
  return (bodyBytes(body) ?? Number.POSITIVE_INFINITY) < MAX_BODY_BYTES
}

/**
 * The bytes a replayable body takes on the wire (for FormData, an upper bound of its multipart encoding);
 * undefined for a body that cannot be sent twice.
 *
 * @example
 * ```ts
 * bodyBytes('é') // 2
 * bodyBytes(Readable.from(['x'])) // undefined
 * ```
 */
export function bodyBytes(body: unknown): number | undefined {
  if (body === undefined || body === null) return 0
  // Exact, not estimated from the length: only a 401/403 answer or a replay decision asks, rarely enough
  // for the encoding's cost not to matter.
  if (typeof body === 'string') return utf8Bytes(body)
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return body.byteLength
  // By tag, not instanceof: the classes of another realm or of undici count too.
  const tag = Object.prototype.toString.call(body)
  if (tag === '[object Blob]' || tag === '[object File]') return (body as Blob).size
  if (tag === '[object URLSearchParams]') return String(body).length
  if (tag === '[object FormData]') return multipartBytes(body as FormData)
  return undefined
}

// The bytes of a part's fixed text, as numbers (the texts themselves would ship in every bundle only to be
// measured). RFC 2046 allows boundaries of up to 70 characters; counting the longest keeps the figure an upper
// bound whichever boundary the client draws.
/** `--` + 70-character boundary + CRLF, before each part. */
const DELIMITER = 74
/** `--` + 70-character boundary + `--` + CRLF, after the last part. */
const CLOSE = 76
/** `Content-Disposition: form-data; name=""` */
const DISPOSITION = 39
/** `; filename=""` */
const FILE_NAME = 13
/** CRLF + `Content-Type: ` */
const CONTENT_TYPE = 16
/** `application/octet-stream`, the type of a file that names none */
const DEFAULT_TYPE = 24
/** CRLF CRLF after a part's headers, CRLF after its value */
const PART_END = 6

/**
 * The multipart/form-data encoding of a FormData as fetch and undici write it: per part a delimiter, a
 * Content-Disposition header with the UTF-8 name (and file name and Content-Type for a file), the value's
 * UTF-8 bytes with line breaks made CRLF, and a closing delimiter. Rounded up wherever a client may differ.
 */
function multipartBytes(form: FormData): number {
  let size = CLOSE
  form.forEach((value, name) => {
    size += DELIMITER + DISPOSITION + PART_END + headerTextBytes(name)
    if (typeof value === 'string') {
      // A lone CR or LF becomes CRLF: one more byte each at most.
      size += utf8Bytes(value) + countOf(value, /[\r\n]/g)
      return
    }
    const file = value as Blob & { name?: unknown }
    const fileName = typeof file.name === 'string' ? file.name : 'blob'
    size += FILE_NAME + headerTextBytes(fileName) + CONTENT_TYPE + (utf8Bytes(file.type) || DEFAULT_TYPE)
    size += file.size
  })
  return size
}

// A name in a header is escaped: `"` as %22 (3 bytes), CR or LF as %0D%0A (6 bytes at most).
function headerTextBytes(text: string): number {
  return utf8Bytes(text) + 5 * countOf(text, /["\r\n]/g)
}

function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).byteLength
}

function countOf(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0
}
