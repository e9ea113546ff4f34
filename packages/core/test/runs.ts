/**
 * How many random cases a property test runs: `full`, or fewer under mutation testing, whose config
 * (stryker.config.mjs) sets MUTATION_RUNS so each of hundreds of mutants does not pay for a thousand cases.
 *
 * @example
 * fc.assert(property, { numRuns: runs(1_000) })
 */
export function runs(full: number): number {
  const fewer = Number(process.env.MUTATION_RUNS)
  return Number.isInteger(fewer) && fewer > 0 ? Math.min(fewer, full) : full
}
