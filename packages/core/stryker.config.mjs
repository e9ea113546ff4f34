// Mutation testing of core's deciding code (pnpm test:mutation): each mutant is a one-line change a careless
// developer could make; a test must fail for each. Run by Node 22 (StrykerJS needs it).
// pnpm keeps each package's dependencies to itself: name the runner plugin by its resolved path.
const runner = import.meta.resolve('@stryker-mutator/vitest-runner')

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  plugins: [runner],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.config.ts' },
  mutate: ['src/scope-policy.ts', 'src/urls.ts'],
  reporters: ['clear-text', 'progress'],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  thresholds: { high: 95, low: 90, break: 90 },
  // The tests import ../../vitest.shared.ts and the other packages' sources: a sandbox copy of this package
  // alone would not resolve them, so the mutants are written in place (Stryker restores the files after).
  inPlace: true,
  tempDirName: '../../node_modules/.stryker-tmp/core',
}
