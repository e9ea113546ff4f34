import type { Effect, MachineEvent, TransitionTo } from './machine.ts'
import { emit, type Shell } from './provider-shell.ts'
import { fetchToken } from './token-attempt.ts'
import { keepAlive } from './token-waiters.ts'

/**
 * Steps the machine with `event` at the clock's current wall and monotonic times, performs the effects
 * of the transition in order, and returns the event's reply (what a demand gets, whether an
 * invalidate dropped the current token).
 *
 * @example
 * ```ts
 * const reply = dispatch(shell, { type: 'demand' })
 * if (reply.token) return reply.token
 * ```
 */
export function dispatch<E extends MachineEvent>(shell: Shell, event: E): TransitionTo<E['type']>['reply'] {
  noteOutcome(shell, event)
  const transition = shell.step(shell.state, event, shell.config.clock.now(), shell.mono())
  shell.state = transition.state
  for (const effect of transition.effects) perform(shell, effect)
  return transition.reply
}

/**
 * Performs one effect the machine asked for.
 *
 * @example
 * ```ts
 * perform(shell, { type: 'emit', event: { type: 'credentials_changed' } })
 * ```
 */
export function perform(shell: Shell, effect: Effect): void {
  switch (effect.type) {
    case 'fetch':
      shell.fetching = fetchToken(shell, effect.fetchId, effect.keyIndex, (event) => dispatch(shell, event))
      break
    case 'abort':
      try {
        shell.inFlight?.abort()
      } catch {
        // workerd refuses I/O for a request that has already answered; the request is abandoned anyway.
      }
      shell.config.clock.clearTimeout(shell.timer)
      break
    case 'timer':
      setTimer(shell, effect.timerId, effect.at)
      break
    case 'settle': {
      // A caller that demands from now on waits for the next settle.
      const settled = shell.waiters
      shell.waiters = new Set()
      for (const waiter of settled) waiter(effect.accessToken, effect.error)
      break
    }
    case 'store': {
      // Shares a token the endpoint gave with the fleet, or withdraws one found rejected.
      const { sync, storeKey } = shell
      if (!sync || !storeKey) break
      if (effect.remove) sync.remove(storeKey, effect.token.accessToken)
      else sync.write(storeKey, effect.token)
      break
    }
    case 'emit':
      emit(shell, effect.event)
  }
}

/**
 * Keeps how the current request's last attempt failed (forgotten when a token arrives): a caller whose
 * wait runs out is told what was going on (see token-waiters.ts).
 */
function noteOutcome(shell: Shell, event: MachineEvent): void {
  const { phase } = shell.state
  if (phase.type !== 'fetching' || !('fetchId' in event) || event.fetchId !== phase.fetchId) return
  shell.lastFailure = event.type === 'failed' ? event.failure.error : undefined
}

/** Sets the backoff timer (replacing any) to step a `timer` event at `at` (monotonic). */
function setTimer(shell: Shell, timerId: number, at: number): void {
  const { clock } = shell.config
  clock.clearTimeout(shell.timer)
  shell.timer = clock.setTimeout(() => dispatch(shell, { type: 'timer', timerId }), at - shell.mono())
  if (shell.waiters.size) keepAlive(shell.timer)
}
