/** m3ter's ingest limits. */
export const INGEST_MAX_ITEMS = 1000
/**
 * The size from which m3ter refuses an ingest body (403), in bytes.
 *
 * @example
 * ```ts
 * const oversize = 'x'.repeat(INGEST_MAX_BYTES)
 * ```
 */
export const INGEST_MAX_BYTES = 512_000

const OPTIONAL_OBJECTS = ['measure', 'cost', 'income', 'who', 'where', 'what', 'other'] as const

/**
 * Validates an ingest body as m3ter does: `{"measurements":[...]}`, 1 to 1000 items, each with `meter`,
 * `account` and an ISO `ts`; returns the item count or the reason it was refused.
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
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return 'must be an object'
  const m = item as Record<string, unknown>
  for (const field of ['meter', 'account', 'ts'] as const)
    if (typeof m[field] !== 'string' || m[field] === '') return `${field} is required`
  if (Number.isNaN(Date.parse(m.ts as string))) return 'ts must be an ISO 8601 date-time'
  if (m.uid !== undefined && typeof m.uid !== 'string') return 'uid must be a string'
  for (const field of OPTIONAL_OBJECTS) {
    const value = m[field]
    if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value)))
      return `${field} must be an object`
  }
  return undefined
}
