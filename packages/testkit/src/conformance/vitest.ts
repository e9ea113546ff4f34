// vitest is an optional peer: scripts that only start the mock server must be able to import the package
// without it, so it is loaded here, once, and its absence is only an error when the suite is asked for.
type Vitest = typeof import('vitest')

export const vitest: Vitest | undefined = await import('vitest').then(
  (module) => module,
  () => undefined,
)
