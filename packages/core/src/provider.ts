import { credentialsResolver } from './credentials.ts'
import { dispatch } from './effect-interpreter.ts'
import { statusOf } from './machine.ts'
import type { TokenProviderOptions } from './options.ts'
import { createShell, emit, type Shell } from './provider-shell.ts'
import { registerRequestPolicy } from './request-policy.ts'
import type { GetTokenOptions, TokenProvider } from './token-provider.ts'
import { abortedError, waitForToken } from './token-waiters.ts'

export type { GetTokenOptions, TokenProvider, TokenSnapshot, TokenStatus } from './token-provider.ts'

// How many tokens seen rejected a provider remembers (see Shell.seenRejected).
const REMEMBERED_REJECTIONS = 8

/**
 * Creates the token provider for one m3ter Service User. It fetches a token on first use, shares one
 * request among all concurrent callers, refreshes ahead of expiry in the background, backs off when the
 * token endpoint fails, and never hands out an expired token. Every decision is made by the pure state
 * machine (machine.ts); this file is the public object, and the files it imports perform what the
 * machine decides (see provider-shell.ts).
 *
 * @example
 * ```ts
 * import { createTokenProvider } from '@m3ter-auth/core'
 * const auth = createTokenProvider({ credentials: { accessKeyId: 'key', apiSecret: 'secret' } })
 * const res = await fetch('https://api.m3ter.com/organizations/ORG/meters', {
 *   headers: { Authorization: `Bearer ${await auth.getToken()}` },
 * })
 * await auth.close()
 * ```
 */
export function createTokenProvider(options: TokenProviderOptions = {}): TokenProvider {
  const shell = createShell(options)
  const { clock, inScope, tokenUrl } = shell.config
  const getToken = (getOptions?: GetTokenOptions) => tokenFor(shell, getOptions)
  const provider: TokenProvider & { toJSON(): unknown } = {
    getToken,
    authorize: async (url, authorizeOptions) =>
      inScope(url) ? `Bearer ${await getToken(authorizeOptions)}` : undefined,
    inScope,
    invalidate(token) {
      const invalidated = dispatch(shell, { type: 'invalidate', accessToken: token })
      if (!invalidated) {
        emit(shell, { type: 'invalidate_ignored', generation: shell.state.generation })
        return false
      }
      // A handful is plenty: each is a revocation whose store delete also failed, within one token lifetime.
      if (shell.seenRejected.push(token) > REMEMBERED_REJECTIONS) shell.seenRejected.shift()
      return true
    },
    setCredentials(next) {
      shell.resolver = credentialsResolver(next)
      dispatch(shell, { type: 'credentials_changed', keyCount: shell.resolver.keyCount })
    },
    snapshot: () => ({
      status: statusOf(shell.state, clock.now(), shell.mono()),
      expiresAt: shell.state.token?.expiresAt,
      generation: shell.state.generation,
      servedAtOnce: shell.servedAtOnce,
    }),
    subscribe(listener) {
      const entry = { listener }
      shell.listeners.add(entry)
      return () => void shell.listeners.delete(entry)
    },
    close: async () => void dispatch(shell, { type: 'close' }),
    [Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')]: () => provider.close(),
    // Nothing secret lives on this object; say so plainly to anyone who logs it.
    toJSON: () => ({ M3terTokenProvider: provider.snapshot() }),
  }
  registerRequestPolicy(provider, { tokenUrl, now: () => clock.now(), held: () => heldFresh(shell) })
  return provider
}

// The hot path of `getToken`, shared with the adapters' synchronous path (heldToken): a fresh token.
function heldFresh(shell: Shell): string | undefined {
  const { token, phase } = shell.state
  if (!token || phase.type === 'closed' || shell.mono() - token.offset >= token.refreshAt) return undefined
  shell.servedAtOnce++
  return token.accessToken
}

/**
 * `getToken`. Hot path: a fresh token needs no transition and no allocation beyond the resolved promise,
 * and one clock read: before its refresh point by the monotonic time since it arrived. Every other demand
 * goes through the machine, which also asks the wall clock (tokenTime).
 */
function tokenFor(shell: Shell, options: GetTokenOptions | undefined): Promise<string> {
  const signal = options?.signal
  const held = signal?.aborted ? undefined : heldFresh(shell)
  if (held !== undefined) return Promise.resolve(held)
  if (signal?.aborted) return Promise.reject(abortedError(signal))
  const fetching = shell.fetching
  const reply = dispatch(shell, { type: 'demand' })
  // A request this demand started: a serverless runtime must keep running until it is done.
  if (shell.fetching !== fetching) options?.waitUntil?.(shell.fetching)
  if (reply.token) {
    shell.servedAtOnce++
    return Promise.resolve(reply.token)
  }
  if (reply.error) return Promise.reject(reply.error)
  return waitForToken(shell, signal)
}
