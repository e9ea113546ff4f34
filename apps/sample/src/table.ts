/**
 * One column: its heading, and whether values line up on the right (numbers).
 *
 * @example
 * ```ts
 * const columns: Column[] = [{ heading: 'adapter' }, { heading: 'token requests', right: true }]
 * ```
 */
export interface Column {
  readonly heading: string
  readonly right?: boolean
}

/**
 * A row of cells, or `'---'` for a separator line.
 *
 * @example
 * ```ts
 * const rows: Row[] = [['fetch', '3'], '---', ['axios', '3']]
 * ```
 */
export type Row = readonly string[] | '---'

/**
 * Lays rows out as a plain-text table that reads well in a terminal, a CI log and a README code block:
 * no colours, no box-drawing beyond one rule under the heading and between groups.
 *
 * @example
 * ```ts
 * console.log(formatTable([{ heading: 'step' }, { heading: 'token requests', right: true }], [['cold start', '1']]))
 * // step        token requests
 * // ──────────  ──────────────
 * // cold start               1
 * ```
 */
export function formatTable(columns: readonly Column[], rows: readonly Row[]): string {
  const widths = columns.map((column, i) =>
    Math.max(column.heading.length, ...rows.map((row) => (row === '---' ? 0 : (row[i] ?? '').length))),
  )
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const width = widths[i] ?? 0
        return columns[i]?.right ? cell.padStart(width) : cell.padEnd(width)
      })
      .join('  ')
      .trimEnd()
  const rule = widths.map((w) => '─'.repeat(w)).join('  ')
  return [
    line(columns.map((c) => c.heading)),
    rule,
    ...rows.map((row) => (row === '---' ? rule : line(row))),
  ].join('\n')
}
