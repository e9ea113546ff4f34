/**
 * Records unhandled rejections in this test file's worker. Vitest reports them too, but only as a
 * failure of the run, not of the cell that caused them; a listener lets each cell assert none appeared.
 */
export function trackUnhandled(): { readonly seen: unknown[]; stop(): void } {
  const seen: unknown[] = []
  const listener = (reason: unknown) => {
    seen.push(reason)
  }
  process.on('unhandledRejection', listener)
  return { seen, stop: () => process.off('unhandledRejection', listener) }
}

/** One macrotask turn: every queued promise callback runs and ready socket I/O is handled. */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
