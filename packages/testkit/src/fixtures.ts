/**
 * One generated config entity: enough fields to page through and compare.
 *
 * @example
 * ```ts
 * const expected: Entity[] = generateEntities('meter', 250) // the mock's default meters
 * expect(everyPage.flat().map((meter) => meter.code)).toEqual(expected.map((meter) => meter.code))
 * ```
 */
export interface Entity {
  readonly id: string
  readonly code: string
  readonly name: string
  readonly version: number
}

/**
 * Deterministic entities (`meter-0001`, ...) so two runs and two pages can be compared exactly.
 *
 * @example
 * ```ts
 * const meters = generateEntities('meter', 250)
 * ```
 */
export function generateEntities(kind: string, count: number): Entity[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(4, '0')
    // UUID-shaped ids, as m3ter's are; the hex tail carries the index so they stay unique and sorted.
    const hex = (i + 1).toString(16).padStart(12, '0')
    return {
      id: `00000000-0000-4000-8000-${hex}`,
      code: `${kind}-${n}`,
      name: `${kind} ${i + 1}`,
      version: 1,
    }
  })
}

/**
 * A page, or why the query was refused.
 *
 * @example
 * ```ts
 * const result: PageResult = paginate(items, ex.url.searchParams)
 * if (!result.ok) return ex.error(400, result.message)
 * ex.json(200, result.page)
 * ```
 */
export type PageResult =
  | { ok: true; page: { data: Entity[]; nextToken?: string } }
  | { ok: false; message: string }

const DEFAULT_PAGE_SIZE = 10

/**
 * m3ter's list paging: `pageSize` 1..100, an opaque `nextToken`, no `nextToken` on the last page.
 *
 * @example
 * ```ts
 * const result = paginate(meters, new URLSearchParams('pageSize=100'))
 * ```
 */
export function paginate(items: readonly Entity[], query: URLSearchParams): PageResult {
  const rawSize = query.get('pageSize')
  const pageSize = rawSize === null ? DEFAULT_PAGE_SIZE : Number(rawSize)
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
    return { ok: false, message: 'pageSize must be an integer from 1 to 100' }
  let offset = 0
  const token = query.get('nextToken')
  if (token !== null) {
    const decoded = /^o(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'))
    offset = decoded ? Number(decoded[1]) : Number.NaN
    if (!Number.isInteger(offset) || offset <= 0 || offset >= items.length)
      return { ok: false, message: 'nextToken is not valid' }
  }
  const data = items.slice(offset, offset + pageSize)
  const next = offset + pageSize
  return next < items.length
    ? { ok: true, page: { data, nextToken: Buffer.from(`o${next}`).toString('base64url') } }
    : { ok: true, page: { data } }
}
