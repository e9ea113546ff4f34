import { expect, it } from 'vitest'
import { CLIENT_NAMES } from './clients.ts'
import { DEFAULT_FLEET_SIZE, fleetCoverage } from './fleet-coverage.ts'

it('a full run says so: the default fleet, every client, nothing skipped', () => {
  expect(fleetCoverage(DEFAULT_FLEET_SIZE, CLIENT_NAMES)).toBe(
    [
      'fleet coverage:',
      `  mixed fleet: ${DEFAULT_FLEET_SIZE} processes (the default)`,
      `  small-fleet scenarios ran on: ${CLIENT_NAMES.join(', ')}`,
      '  small-fleet scenarios skipped on: none',
    ].join('\n'),
  )
})

it('a shrunk run names what it left out and the variable that did it', () => {
  const printed = fleetCoverage(4, ['ioredis 5'])
  expect(printed).toContain(`4 processes, not the default ${DEFAULT_FLEET_SIZE} (M3TER_FLEET_SIZE is set)`)
  expect(printed).toContain('ran on: ioredis 5\n')
  expect(printed).toContain(
    `SKIPPED on: ${CLIENT_NAMES.filter((name) => name !== 'ioredis 5').join(', ')} (M3TER_FLEET_CLIENTS=`,
  )
})
