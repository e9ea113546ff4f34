import type { Clock } from './clock.ts'
import { M3terAuthError } from './errors.ts'

/**
 * Runs one step of a token attempt within `ms` on the injected clock. It settles as `work` does, or
 * rejects with a `timeout` error naming `what` once the budget is spent, or with the signal's reason when
 * the provider closes. A step that never answers (a credentials function stuck on a secret manager) thus
 * cannot hold the attempt, and every caller waiting on it, forever; whatever it does later is ignored.
 *
 * @example
 * ```ts
 * const credentials = await withinBudget(resolve(), 'credentials()', 10_000, clock, signal)
 * ```
 */
export function withinBudget<T>(
  work: Promise<T>,
  what: string,
  ms: number,
  clock: Clock,
  signal: AbortSignal,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const stop = (error: unknown) => {
      clock.clearTimeout(timer)
      reject(error)
    }
    const timer = clock.setTimeout(
      () => stop(new M3terAuthError('timeout', `${what}: no answer within ${ms} ms`)),
      ms,
    )
    // A caller may be awaiting this step: the budget's timer keeps a Node process alive until it settles.
    ;(timer as { ref?: () => void } | undefined)?.ref?.()
    signal.addEventListener('abort', () => stop(signal.reason))
    work.then((value) => {
      clock.clearTimeout(timer)
      resolve(value)
    }, stop)
  })
}
