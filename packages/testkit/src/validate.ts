/**
 * m3ter's code pattern (meter, account and entity codes): printable, no whitespace but inner spaces, at most
 * 80 characters. Its OpenAPI document writes it in Java's regex dialect; this is the same set in JavaScript's.
 */
const CODE = /^(?:[^\p{Cc}\s]|[^\p{Cc}\s](?:[^\p{Cc}\s]| )*[^\p{Cc}\s])$/u

/** Data field codes: letters, digits, `_` and `$`, not starting with a digit. */
const FIELD_CODE = /^[\p{L}_$][\p{L}_$0-9]*$/u

// RFC 3339 date-time, as OpenAPI's `format: date-time`: a zone (Z or an offset) is required.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/

/**
 * Why `value` is not an m3ter code, or undefined. `field` names it in the message.
 *
 * @example
 * ```ts
 * const problem = codeProblem('code', input.code) ?? textProblem('name', input.name, 200)
 * if (problem) return { status: 400, body: { message: problem } }
 * ```
 */
export function codeProblem(field: string, value: unknown, max = 80): string | undefined {
  if (typeof value !== 'string' || value === '') return `${field} is required`
  if (value.length > max) return `${field} must be at most ${max} characters`
  if (!CODE.test(value))
    return `${field} must be printable, without whitespace other than inner spaces: ${JSON.stringify(value)}`
  return undefined
}

/**
 * Why `value` is not a data field code, or undefined.
 *
 * @example
 * ```ts
 * fieldCodeProblem('dataFields[0].code', field.code) // undefined, or what is wrong with it
 * ```
 */
export function fieldCodeProblem(field: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return `${field} is required`
  if (value.length > 80) return `${field} must be at most 80 characters`
  if (!FIELD_CODE.test(value))
    return `${field} may hold letters, digits, _ and $ and must not start with a digit`
  return undefined
}

/**
 * Whether `value` is an RFC 3339 date-time naming a real instant (no 30 February, no hour 24).
 *
 * @example
 * ```ts
 * if (!isDateTime(measurement.ts)) return 'ts must be an ISO 8601 date-time with a zone'
 * ```
 */
export function isDateTime(value: unknown): boolean {
  if (typeof value !== 'string') return false
  const m = DATE_TIME.exec(value)
  if (!m) return false
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const offsetHours = m[9] === undefined ? 0 : Number(m[9])
  const offsetMinutes = m[10] === undefined ? 0 : Number(m[10])
  if (hour > 23 || minute > 59 || second > 60 || offsetHours > 23 || offsetMinutes > 59) return false
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/**
 * Why `value` is not a string of 1..`max` characters, or undefined.
 *
 * @example
 * ```ts
 * textProblem('name', input.name, 200) // 'name is required', 'name must be at most 200 characters'
 * ```
 */
export function textProblem(field: string, value: unknown, max: number): string | undefined {
  if (typeof value !== 'string' || value === '') return `${field} is required`
  if (value.length > max) return `${field} must be at most ${max} characters`
  return undefined
}

/**
 * Why `value` is not an object whose values all have type `kind`, or undefined.
 *
 * @example
 * ```ts
 * const problem = mapProblem('measure', measurement.measure, 'number')
 * ```
 */
export function mapProblem(field: string, value: unknown, kind: 'string' | 'number'): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${field} must be an object`
  for (const [key, entry] of Object.entries(value))
    if (typeof entry !== kind || (kind === 'number' && !Number.isFinite(entry)))
      return `${field}.${key} must be a ${kind}`
  return undefined
}

/**
 * A plain JSON object, or undefined.
 *
 * @example
 * ```ts
 * const input = asObject(JSON.parse(ex.body))
 * if (!input) return { status: 400, body: { message: 'Body must be a JSON object' } }
 * ```
 */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}
