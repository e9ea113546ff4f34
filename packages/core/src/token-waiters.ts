import { M3terAuthError } from './errors.ts'
import { emit, type Shell, type Waiter } from './provider-shell.ts'

/**
 * Waits for the next settle (a token or an error for every waiter), for the caller's `signal`, or for
 * `maxWaitMs`, whichever comes first. Each wait ends with a `token_waited` event saying how long it took
 * and how it ended. A wait that runs out rejects with `timeout`; the token request goes on, and a later
 * caller gets its token.
 *
 * @param signal - the caller's: an abort rejects this wait with `aborted` and leaves the others waiting
 * @returns the token the next settle brings
 * @example
 * ```ts
 * const reply = dispatch(shell, { type: 'demand' })
 * const token = reply.token ?? (await waitForToken(shell, AbortSignal.timeout(2_000)))
 * ```
 */
export function waitForToken(shell: Shell, signal: AbortSignal | undefined): Promise<string> {
  const { clock, maxWaitMs } = shell.config
  const since = shell.mono()
  const waited = (outcome: 'token' | M3terAuthError['code']) =>
    emit(shell, { type: 'token_waited', waitedMs: shell.mono() - since, outcome })
  const waiting = new Promise<string>((resolve, reject) => {
    // The caller stops waiting (its signal, or maxWaitMs); the others, and the token request, go on.
    const leave = (error: M3terAuthError) => {
      clock.clearTimeout(deadline)
      signal?.removeEventListener('abort', onAbort)
      shell.waiters.delete(waiter)
      // No one waits for the backoff any more: let the process exit meanwhile again (see keepAlive).
      if (!shell.waiters.size) (shell.timer as { unref?: () => void } | undefined)?.unref?.()
      waited(error.code)
      reject(error)
    }
    const onAbort = () => leave(abortedError(signal))
    const waiter: Waiter = (token, error) => {
      clock.clearTimeout(deadline)
      signal?.removeEventListener('abort', onAbort)
      waited(token ? 'token' : (error?.code ?? 'aborted'))
      token ? resolve(token) : reject(error)
    }
    const deadline = clock.setTimeout(() => leave(waitTimedOut(shell, maxWaitMs)), maxWaitMs)
    // A caller awaits this timer: it must keep a Node process alive, as the backoff it waits on does.
    keepAlive(deadline)
    signal?.addEventListener('abort', onAbort)
    shell.waiters.add(waiter)
    keepAlive(shell.timer)
  })
  return tiedToFetch(shell, waiting)
}

/**
 * The error of a wait that ran out of `maxWaitMs`: what the provider was doing, and how the last attempt
 * failed, if one did (that error is the cause too). Never a secret: errors of core carry none.
 *
 * @example
 * ```ts
 * waitTimedOut(shell, 10_000).message
 * // 'getToken: no token after 10000 ms: token request in progress, attempt 3 of 4; the last attempt failed:
 * //  POST https://api.m3ter.com/oauth/token: no answer within 10000 ms'
 * ```
 */
export function waitTimedOut(shell: Shell, maxWaitMs: number): M3terAuthError {
  const { phase } = shell.state
  const attempts = shell.config.retry.maxAttempts
  const last = shell.lastFailure
  let doing = 'no token request running'
  if (phase.type === 'fetching')
    doing = `token request in progress, attempt ${phase.round.attempt} of ${attempts}`
  else if (phase.type === 'backoff') {
    const inMs = Math.max(0, Math.ceil(phase.retryAt - shell.mono()))
    doing = `${phase.round ? `attempt ${phase.round.attempt} of ${attempts} failed` : 'the token endpoint is failing'}, next attempt in ${inMs} ms`
  }
  const lastFailed = last ? `; the last attempt failed: ${last.message}` : ''
  return new M3terAuthError('timeout', `getToken: no token after ${maxWaitMs} ms: ${doing}${lastFailed}`, {
    cause: last,
  })
}

/**
 * The error of a wait its caller aborted, with the signal's reason as its cause.
 *
 * @example
 * ```ts
 * if (signal?.aborted) return Promise.reject(abortedError(signal))
 * ```
 */
export function abortedError(signal: AbortSignal | undefined): M3terAuthError {
  return new M3terAuthError('aborted', 'getToken: the caller aborted the wait', { cause: signal?.reason })
}

/**
 * Keeps a Node process alive while `timer` is pending. The default clock's timers are unref'd so that
 * background work never keeps a process alive; a backoff that a caller is waiting on is different:
 * exiting would leave that caller's await unsettled. (Duck-typed: Node's timer handles have ref(); other
 * runtimes' handles and custom clocks are left alone.)
 *
 * @example
 * ```ts
 * shell.timer = clock.setTimeout(retry, 400)
 * if (shell.waiters.size) keepAlive(shell.timer)
 * ```
 */
export function keepAlive(timer: unknown): void {
  if (typeof timer === 'object' && timer !== null) (timer as { ref?: () => void }).ref?.()
}

// workerd (Cloudflare Workers) cancels a request as hung when all it awaits is a promise that another
// request settles, as a waiter does when another request started the token request. Awaiting that token
// request as well ties the wait to its I/O. (Between the rounds of a backoff only the waiter remains.)
async function tiedToFetch(shell: Shell, waiting: Promise<string>): Promise<string> {
  const settled = waiting.then(
    () => true,
    () => true,
  )
  for (let round: Promise<void> | undefined; round !== shell.fetching; ) {
    round = shell.fetching
    const first = await Promise.race([settled, round.then(() => false)])
    if (first) break
  }
  return waiting
}
