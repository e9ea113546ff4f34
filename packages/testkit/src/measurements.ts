import { asObject, codeProblem, isDateTime, mapProblem, textProblem } from './validate.ts'

/**
 * The most measurements m3ter takes in one ingest body.
 *
 * @example
 * ```ts
 * const measurements = Array.from({ length: INGEST_MAX_ITEMS }, (_, i) => ({ uid: `m-${i}`, meter, account, ts }))
 * ```
 */
export const INGEST_MAX_ITEMS = 1000
/**
 * The size from which m3ter refuses an ingest body (403), in bytes.
 *
 * @example
 * ```ts
 * // Refused with 403 whatever the token: a client must not take it for a rejected token.
 * const body = JSON.stringify({ measurements: [{ meter, account, ts, who: { note: 'x'.repeat(INGEST_MAX_BYTES) } }] })
 * ```
 */
export const INGEST_MAX_BYTES = 512_000

/** m3ter's limit on a measurement's `uid`. */
const UID_MAX = 50
// Numeric and non-numeric value groups of a measurement, as m3ter's schema types them.
const NUMBER_MAPS = ['measure', 'cost', 'income'] as const
const STRING_MAPS = ['who', 'where', 'what', 'other', 'metadata'] as const

/**
 * Validates an ingest body as m3ter's schema says: `{"measurements":[...]}`, 1 to 1000 items, each with a
 * `meter` and `account` code (1..80 printable characters, no outer or non-space whitespace), an RFC 3339
 * `ts` (and `ets` if given), a `uid` of at most 50 characters if given, numbers in `measure`, `cost` and
 * `income`, strings in `who`, `where`, `what`, `other` and `metadata`. Returns the item count or the
 * reason it was refused.
 *
 * @example
 * ```ts
 * const check = validateMeasurements(JSON.parse(body))
 * if (!check.ok) res.statusCode = 400
 * ```
 */
export function validateMeasurements(
  body: unknown,
): { ok: true; count: number } | { ok: false; message: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, message: 'Body must be a JSON object with a measurements array' }
  const items = (body as { measurements?: unknown }).measurements
  if (!Array.isArray(items)) return { ok: false, message: 'measurements must be an array' }
  if (items.length < 1 || items.length > INGEST_MAX_ITEMS)
    return { ok: false, message: `measurements must hold 1 to ${INGEST_MAX_ITEMS} items` }
  for (const [index, item] of items.entries()) {
    const problem = checkItem(item)
    if (problem) return { ok: false, message: `measurements[${index}]: ${problem}` }
  }
  return { ok: true, count: items.length }
}

function checkItem(item: unknown): string | undefined {
  const m = asObject(item)
  if (!m) return 'must be an object'
  const problem =
    codeProblem('meter', m.meter) ??
    codeProblem('account', m.account) ??
    (m.uid === undefined ? undefined : textProblem('uid', m.uid, UID_MAX)) ??
    (isDateTime(m.ts)
      ? undefined
      : `ts must be an ISO 8601 date-time with a zone: ${JSON.stringify(m.ts)}`) ??
    (m.ets === undefined || isDateTime(m.ets)
      ? undefined
      : `ets must be an ISO 8601 date-time with a zone: ${JSON.stringify(m.ets)}`)
  if (problem) return problem
  for (const field of NUMBER_MAPS)
    if (m[field] !== undefined) {
      const mapProblemText = mapProblem(field, m[field], 'number')
      if (mapProblemText) return mapProblemText
    }
  for (const field of STRING_MAPS)
    if (m[field] !== undefined) {
      const mapProblemText = mapProblem(field, m[field], 'string')
      if (mapProblemText) return mapProblemText
    }
  return undefined
}
