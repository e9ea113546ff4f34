import { withinBudget } from './budget.ts'
import { M3terAuthError } from './errors.ts'
import type { MachineEvent } from './machine.ts'
import type { Shell } from './provider-shell.ts'
import { scrubbed } from './scrub.ts'
import { knownStoreKey, storeKeyOf } from './store-key.ts'
import { requestToken } from './token-endpoint.ts'
import type { TokenFailure } from './token-failure.ts'
import type { TokenLease } from './token-store.ts'

/**
 * Runs the attempt the machine asked for with a `fetch` effect: reads the credentials of key
 * `keyIndex`, looks in the fleet's store (taking its lease, or waiting for the member that holds it),
 * and asks the token endpoint unless the store had the token. The outcome goes to `report` as the
 * `fetched` or `failed` event carrying `fetchId`; nothing is reported for an attempt abandoned in the
 * store phase. Every step is bounded in time; the `abort` effect, which aborts `shell.inFlight`, ends any
 * wait at once.
 *
 * @returns settles once the attempt is over, its lease released after the token was written
 * @example
 * ```ts
 * shell.fetching = fetchToken(shell, effect.fetchId, effect.keyIndex, (event) => dispatch(shell, event))
 * ```
 */
export async function fetchToken(
  shell: Shell,
  fetchId: number,
  keyIndex: number,
  report: (event: MachineEvent) => void,
): Promise<void> {
  const { config } = shell
  const controller = new AbortController()
  const { signal } = controller
  shell.inFlight = controller
  // startedAt times the attempt (monotonic); obtainedAt is when the token's lifetime starts (wall).
  const startedAt = shell.mono()
  const obtainedAt = config.clock.now()
  let lease: TokenLease | undefined
  const { sync } = shell
  try {
    // A credentials function stuck on a secret manager must not hold the attempt forever.
    const credentials = await withinBudget(
      shell.resolver.resolve(keyIndex),
      'credentials()',
      config.timeoutMs,
      config.clock,
      signal,
    )
    if (sync) {
      // Another member of the fleet may have the token already, or be fetching it: wait for it then.
      // Bound to the secret: a member with this key id and another secret never shares this token.
      // Known for a key seen before: no await, so the store phase starts on the same turn (a manual
      // clock's test and the fleet simulation rely on it); the first derivation is real crypto (~20 ms).
      const known = knownStoreKey(config.tokenUrl, credentials)
      shell.storeKey = known ?? (await storeKeyOf(config.tokenUrl, credentials))
      if (signal.aborted) return
      const found = await sync.acquire(shell.storeKey, { signal, rejected: shell.seenRejected, startedAt })
      if ('lease' in found) lease = found.lease
      if (signal.aborted) return
      if ('token' in found)
        return report({ type: 'fetched', source: 'store', fetchId, startedAt, token: found.token })
    }
    const attempt = await requestToken({ ...config, credentials, signal })
    report(
      attempt.ok
        ? {
            type: 'fetched',
            source: 'endpoint',
            fetchId,
            startedAt,
            obtainedAt,
            answer: attempt.answer,
            random: config.random(),
          }
        : { type: 'failed', fetchId, failure: attempt.failure, random: config.random() },
    )
  } catch (cause) {
    report({ type: 'failed', fetchId, failure: credentialsFailure(cause), random: config.random() })
  } finally {
    if (shell.inFlight === controller) shell.inFlight = undefined
    // Only after the token write: released earlier, another member would fetch a second token.
    await sync?.release(lease)
  }
}

/** Only reading the credentials can throw: a typed failure, retried only when it took too long. */
function credentialsFailure(cause: unknown): TokenFailure {
  const error =
    cause instanceof M3terAuthError
      ? cause
      : new M3terAuthError('missing_credentials', 'credentials(): failed', { cause: scrubbed(cause) })
  return { error, retryable: error.code === 'timeout', credentialsRejected: false, retryAfterMs: undefined }
}
