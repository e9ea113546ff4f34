// Mutation testing of core's deciding code (pnpm test:mutation): each mutant is a one-line change a careless
// developer could make; a test must fail for each. Run by Node 22 (StrykerJS needs it).
// pnpm keeps each package's dependencies to itself: name the runner plugin by its resolved path.
const runner = import.meta.resolve('@stryker-mutator/vitest-runner')

// The slow randomized suites run fewer cases under Stryker (the test runner inherits this environment): the
// 1,000-seed fleet simulation and the 1,000-run model tests cost most of a run's time, and every mutant they
// kill is also killed by a handful of cases (the unit tests of each file are what kill the rest).
process.env.SIM_SEEDS ??= '25'
process.env.MUTATION_RUNS ??= '60'

/** The files whose decisions the score covers (scripts/mutation-score.mjs checks each one against `break`). */
export const deciding = [
  'src/machine.ts',
  'src/request-policy.ts',
  'src/token-path.ts',
  'src/body-size.ts',
  'src/scope-policy.ts',
  'src/urls.ts',
  'src/token-response.ts',
  'src/backoff-policy.ts',
  'src/refresh-policy.ts',
  'src/scrub.ts',
  'src/store-sync.ts',
  'src/store-value.ts',
]

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  plugins: [runner],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.config.ts' },
  mutate: deciding,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // A mutant that makes a loop run forever (one in store-sync did) counts as killed once it exceeds the
  // unmutated run's time by this much, instead of hanging the run.
  timeoutMS: 10_000,
  thresholds: { high: 95, low: 90, break: 90 },
  // Only the mutants whose file or covering tests changed since the committed baseline run again in CI.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  // The tests import ../../vitest.shared.ts and the other packages' sources: a sandbox copy of this package
  // alone would not resolve them, so the mutants are written in place (Stryker restores the files after).
  inPlace: true,
  tempDirName: '../../node_modules/.stryker-tmp/core',
}
