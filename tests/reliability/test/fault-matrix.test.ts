import { findM3terAuthError } from '@m3ter-auth/core'
import { type ForeignServer, startForeignServer } from '@m3ter-auth/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS, type AdapterName } from './support/drivers.ts'
import { FAULT_CASES, type FaultCase, MAX_ATTEMPTS } from './support/fault-cases.ts'
import { bearerOf, createRig, outcome, type Rejected, type Rig } from './support/rig.ts'
import { trackUnhandled, turn } from './support/unhandled.ts'

// Part 1 of issue 7: every token endpoint fault × every Node 20 adapter × {cold start, refresh while a
// valid token exists}. The matrix is data (FAULT_CASES × ADAPTERS × PHASES); each cell checks the outcome,
// the attempt bound, unhandled rejections, leaks of what it touched, and recovery once the fault clears.

const PHASES = ['cold start', 'refresh with a valid token'] as const
type Phase = (typeof PHASES)[number]

const unhandled = trackUnhandled()
let foreign: ForeignServer
const passed: string[] = []
const total = FAULT_CASES.length * ADAPTERS.length * PHASES.length

beforeAll(async () => {
  foreign = await startForeignServer()
})

afterAll(async () => {
  unhandled.stop()
  await foreign.close()
  console.log(
    `fault matrix: ${passed.length}/${total} cells passed (${FAULT_CASES.length} faults × ${ADAPTERS.length} adapters × ${PHASES.length} phases)`,
  )
})

const expectedAttempts = (c: FaultCase) => (c.attempts === 'max' ? MAX_ATTEMPTS : c.attempts)
const isCredentials = (c: FaultCase) => c.code === 'invalid_credentials'

describe.each(ADAPTERS)('%s', (adapter: AdapterName) => {
  describe.each(PHASES)('%s', (phase: Phase) => {
    it.each(FAULT_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const unhandledBefore = unhandled.seen.length
      const foreignBefore = foreign.requests.length
      const rig = await createRig(adapter, { provider: { retry: { maxAttempts: MAX_ATTEMPTS } } })
      try {
        if (phase === 'cold start') await coldCell(rig, c)
        else await refreshCell(rig, c)
        // The token endpoint's redirects are never followed: the Basic credentials must not travel.
        expect(foreign.requests.slice(foreignBefore)).toEqual([])
        // Every clock move to a retry landed on the one timer pending: exactly the next attempt, nothing skipped.
        for (const move of rig.moves) expect(move.nextDue).toBe(move.to)
      } finally {
        await rig.close()
      }
      expect(rig.clock.pending()).toBe(0)
      expect(rig.leaks.scan()).toEqual([])
      await turn()
      expect(unhandled.seen.slice(unhandledBefore)).toEqual([])
      passed.push(`${adapter} / ${phase} / ${c.name}`)
    })
  })
})

async function coldCell(rig: Rig, c: FaultCase): Promise<void> {
  rig.m3ter.faults.inject('token', c.fault(rig.clock.now(), foreign.url), { times: c.times })
  const first = await outcome(rig.settle(rig.driver.request(rig.meters())))
  rig.leaks.touch('cold outcome', first)
  expect(rig.tokenAttempts()).toBe(expectedAttempts(c))
  expect(rig.tokenAttempts()).toBeLessThanOrEqual(rig.maxAttempts)
  checkGaps(rig, c)

  if (c.cold === 'recovered') {
    expect(first.error).toBeUndefined()
    expect(first.value?.status).toBe(200)
    if (c.rejectedByApi) expect(rig.m3ter.stats.apiRequestsByStatus[403]).toBe(1)
  } else {
    const authError = findM3terAuthError(first.error)
    rig.leaks.touch('cold error (auth)', authError)
    expect(authError?.code).toBe(c.code)
    expect(rig.m3ter.stats.apiRequests).toBe(0)
    if (isCredentials(c)) {
      // Fail fast during the cooldown: no hammering of an endpoint that refused the key.
      const again = await outcome(rig.settle(rig.driver.request(rig.meters())))
      rig.leaks.touch('cooldown outcome', again)
      expect(findM3terAuthError(again.error)?.code).toBe('invalid_credentials')
      expect(rig.tokenAttempts()).toBe(1)
      const rejected = rig.events.find((e): e is Rejected => e.type === 'credentials_rejected')!
      await rig.clock.advanceTo(rejected.cooldownUntil)
    } else {
      // A Retry-After the server sent holds callers off after the round gave up (at most retry.maxDelayMs).
      await rig.clock.advance(30_000)
    }
  }

  // The fault clears: the next request succeeds, with one more token request at most.
  rig.m3ter.faults.clear()
  const attemptsBefore = rig.tokenAttempts()
  const recovered = await rig.settle(rig.driver.request(rig.meters()))
  expect(recovered.status).toBe(200)
  expect(rig.tokenAttempts() - attemptsBefore).toBe(c.cold === 'error' ? 1 : 0)
}

async function refreshCell(rig: Rig, c: FaultCase): Promise<void> {
  expect((await rig.settle(rig.driver.request(rig.meters()))).status).toBe(200)
  const [first] = rig.fetched()
  const oldToken = rig.m3ter.issuedTokens[0]!
  await rig.clock.advanceTo(first!.refreshAt)
  const attemptsBefore = rig.tokenAttempts()
  const failuresBefore = rig.failures().length
  rig.m3ter.faults.inject('token', c.fault(rig.clock.now(), foreign.url), { times: c.times })

  // Served at once with the valid token while the refresh runs in the background: no clock movement here.
  const servedNow = async () => {
    const res = await rig.driver.request(rig.meters())
    expect(res.status).toBe(200)
    expect(bearerOf(rig.m3ter.log.filter((e) => e.origin === 'api').at(-1))).toBe(oldToken)
  }
  await servedNow()

  const newFetched = () => rig.fetched().length > 1
  if (isCredentials(c)) {
    await rig.driveUntil(
      () => rig.events.some((e) => e.type === 'credentials_rejected'),
      'credentials rejected',
    )
    const rejected = rig.events.find((e): e is Rejected => e.type === 'credentials_rejected')!
    // During the cooldown the valid token keeps being served and the endpoint is not asked again.
    await servedNow()
    await servedNow()
    expect(rig.tokenAttempts() - attemptsBefore).toBe(1)
    expect(rejected.cooldownUntil).toBeLessThan(first!.expiresAt)
    rig.m3ter.faults.clear()
    await rig.clock.advanceTo(rejected.cooldownUntil)
    await servedNow()
  } else if (c.times === Number.POSITIVE_INFINITY) {
    // A round's worth of failed attempts, each followed by a backoff (never giving up a valid token).
    await rig.driveUntil(
      () => rig.failures().length - failuresBefore >= MAX_ATTEMPTS,
      `${MAX_ATTEMPTS} failed refreshes`,
    )
    await servedNow()
    rig.m3ter.faults.clear()
  }
  await rig.driveUntil(newFetched, 'a new token')
  expect(rig.clock.now()).toBeLessThan(first!.expiresAt)

  const failures = rig.failures().slice(failuresBefore)
  for (const failure of failures) {
    expect(failure.code).toBe(c.code)
    expect(failure.retryInMs).toBeDefined()
  }
  const attempts = rig.tokenAttempts() - attemptsBefore
  if (isCredentials(c)) expect(attempts).toBe(2)
  else if (c.times === Number.POSITIVE_INFINITY) expect(attempts).toBe(MAX_ATTEMPTS + 1)
  // Transient: the attempts of the cold case (a refused token counts once here; its replacement comes later).
  else expect(attempts).toBe(c.rejectedByApi ? 1 : expectedAttempts(c))
  checkGaps(rig, c, attemptsBefore)

  // Recovery: the next request carries a new token that works (a refused one is replaced by the adapter).
  const res = await rig.settle(rig.driver.request(rig.meters()))
  expect(res.status).toBe(200)
  const used = bearerOf(rig.m3ter.log.filter((e) => e.origin === 'api').at(-1))
  expect(used).not.toBe(oldToken)
  if (c.rejectedByApi) {
    expect(rig.m3ter.stats.apiRequestsByStatus[403]).toBe(1)
    expect(rig.tokenAttempts() - attemptsBefore).toBe(expectedAttempts(c))
  } else {
    expect(rig.tokenAttempts() - attemptsBefore).toBe(attempts)
  }
}

function checkGaps(rig: Rig, c: FaultCase, skip = 0): void {
  if (c.minGapMs === undefined) return
  const times = rig.m3ter.log
    .filter((e) => e.origin === 'token')
    .map((e) => e.at)
    .slice(skip)
  for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(c.minGapMs)
}
