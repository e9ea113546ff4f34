import type { EndpointModel } from './endpoint-model.ts'
import type { Scenario } from './scenario.ts'

/**
 * The longest a caller may wait for a token (the provider's `maxWaitMs`, default 10 s), plus one lease
 * poll of slack.
 */
export const MAX_WAIT_MS = 10_000 + 100

/** What one run saw, for the invariants and the report. */
export interface Observed {
  readonly violations: string[]
  /** Largest (true now - true expiry) of a served token, ms; negative when all were within their life. */
  maxPastExpiryMs: number
  maxWaitMs: number
  served: number
  /** Tokens handed to the member holding the wrong secret. */
  servedToWrongSecret: number
}

export function newObserved(): Observed {
  return {
    violations: [],
    maxPastExpiryMs: Number.NEGATIVE_INFINITY,
    maxWaitMs: 0,
    served: 0,
    servedToWrongSecret: 0,
  }
}

/** Checks a token a caller of `process` was just given, at true time `now`. */
export function checkServed(
  observed: Observed,
  endpoint: EndpointModel,
  served: {
    token: string
    process: string
    wrongSecret: boolean
    /** The number of this caller's ask, against the last ask made before the process saw a revocation. */
    ask: number
    seenRevoked: ReadonlyMap<string, number>
  },
  now: number,
  waitedMs: number,
): void {
  const fail = (what: string) => observed.violations.push(`${served.process} at ${now}: ${what}`)
  observed.served++
  observed.maxWaitMs = Math.max(observed.maxWaitMs, waitedMs)
  if (served.wrongSecret) {
    observed.servedToWrongSecret++
    fail('a member with a wrong secret was served a token')
  }
  const issued = endpoint.issued(served.token)
  if (!issued) {
    fail('served a token the endpoint never issued')
    return
  }
  observed.maxPastExpiryMs = Math.max(observed.maxPastExpiryMs, now - issued.expiresAt)
  if (now >= issued.expiresAt) fail(`served a token ${now - issued.expiresAt} ms past its true expiry`)
  if (served.ask > (served.seenRevoked.get(served.token) ?? Number.POSITIVE_INFINITY))
    fail('served a token to a caller that asked after the member saw it revoked')
  if (waitedMs > MAX_WAIT_MS) fail(`a caller waited ${waitedMs} ms`)
}

/**
 * Token requests: with a healthy store, one per lifetime per fleet (plus one per revocation); with a
 * failing one, never more per member than that member would make alone.
 */
export function checkTokenRequests(
  observed: Observed,
  scenario: Scenario,
  endpoint: EndpointModel,
  lives: ReadonlyMap<string, { alive: number; revocationsSeen: number }>,
): void {
  const lifetime = scenario.lifetimeSeconds * 1000
  // Shortest time between two refreshes of one token: the lifetime less the safety skew and the widest
  // jittered refresh window (10 min, +25%).
  const between = lifetime - 10_000 - 12.5 * 60_000
  const perLifetimes = (span: number) => 2 + Math.floor(span / between)
  if (scenario.store === 'healthy') {
    const allowed = perLifetimes(scenario.durationMs) + endpoint.revocations()
    if (endpoint.tokens.length > allowed)
      observed.violations.push(
        `healthy store: ${endpoint.tokens.length} tokens issued, at most ${allowed} expected`,
      )
  }
  for (const [process, life] of lives) {
    const own = endpoint.tokens.filter((t) => t.member === process).length
    const alone = perLifetimes(life.alive) + life.revocationsSeen
    if (own > alone) observed.violations.push(`${process}: ${own} tokens, more than alone (${alone})`)
  }
}
