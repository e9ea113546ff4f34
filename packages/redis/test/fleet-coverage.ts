import { CLIENT_NAMES, type ClientName } from './clients.ts'

/** The mixed fleet's size when M3TER_FLEET_SIZE is not set: what 2 shared cores run in a few minutes. */
export const DEFAULT_FLEET_SIZE = 20

/**
 * What the fleet tests run under this environment and what they leave out, and why: the environment
 * variables that shrink a run (for a quicker local loop) must not shrink it silently.
 *
 * @example
 * ```ts
 * beforeAll(() => console.log(fleetCoverage(FLEET, FLEET_CLIENTS)))
 * ```
 */
export function fleetCoverage(fleetSize: number, clients: readonly ClientName[]): string {
  const left = CLIENT_NAMES.filter((name) => !clients.includes(name))
  const size =
    fleetSize === DEFAULT_FLEET_SIZE
      ? `${fleetSize} processes (the default)`
      : `${fleetSize} processes, not the default ${DEFAULT_FLEET_SIZE} (M3TER_FLEET_SIZE is set)`
  return [
    'fleet coverage:',
    `  mixed fleet: ${size}`,
    `  small-fleet scenarios ran on: ${clients.join(', ') || 'none'}`,
    left.length > 0
      ? `  small-fleet scenarios SKIPPED on: ${left.join(', ')} (M3TER_FLEET_CLIENTS=${process.env.M3TER_FLEET_CLIENTS})`
      : '  small-fleet scenarios skipped on: none',
  ].join('\n')
}
