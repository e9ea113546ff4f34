import type { M3terAuthErrorCode } from './errors.ts'

/**
 * Why a token request started.
 *
 * - `cold`: no token yet;
 * - `refresh_window`: the token nears its end; callers are served it meanwhile;
 * - `expired`: the token ran out before a refresh replaced it, so callers wait;
 * - `invalidated`: the token was dropped (`invalidate`, after an API answer rejected it);
 * - `retry`: another attempt after a failure (a backoff ended, the other key of a pair, a request that hung);
 * - `credentials_changed`: `setCredentials` during a request, which is asked again with the new key.
 *
 * @example
 * ```ts
 * // Only `expired` makes a caller wait for a token: worth a warning when it happens often.
 * createTokenProvider({
 *   onEvent: (e) => { if (e.type === 'fetch_started' && e.reason === 'expired') log.warn('m3ter token expired before its refresh') },
 * })
 * ```
 */
export type RefreshReason =
  | 'cold'
  | 'refresh_window'
  | 'expired'
  | 'invalidated'
  | 'retry'
  | 'credentials_changed'

/**
 * What a provider tells `onEvent` and the listeners of its `subscribe`, one event per decision.
 * None carries a secret or a token value, so events can go to any log or metrics pipeline as they are.
 * Switch on `type`: TypeScript then knows each event's fields.
 *
 * @example
 * ```ts
 * import { createTokenProvider, type M3terAuthEvent } from '@m3ter-auth/core'
 *
 * function record(e: M3terAuthEvent): void {
 *   switch (e.type) {
 *     case 'token_fetched':
 *       metrics.histogram('m3ter_token_fetch_ms', e.durationMs, { source: e.source ?? 'endpoint' })
 *       break
 *     case 'refresh_failed':
 *       log.warn(`m3ter token request failed: ${e.code}`, { status: e.status, retryInMs: e.retryInMs })
 *       break
 *     case 'credentials_rejected':
 *       alert(`m3ter rejected access key #${e.keyIndex}: rotate it`)
 *       break
 *   }
 * }
 * const auth = createTokenProvider({ onEvent: record })
 * ```
 */
export type M3terAuthEvent =
  | {
      readonly type: 'fetch_started'
      readonly reason: RefreshReason
      readonly attempt: number
      /** 0 for the primary key, 1 for the secondary. */
      readonly keyIndex?: number
      readonly at: number
    }
  | {
      readonly type: 'token_fetched'
      readonly generation: number
      readonly durationMs: number
      readonly expiresAt: number
      readonly refreshAt: number
      readonly attempt: number
      /** `'endpoint'`: the token endpoint answered; `'store'`: another process's token from the shared store. */
      readonly source?: 'endpoint' | 'store'
      readonly at: number
    }
  | {
      readonly type: 'refresh_failed'
      readonly code: M3terAuthErrorCode
      /** The token endpoint's HTTP status, when it answered. */
      readonly status: number | undefined
      readonly attempt: number
      /** Delay before the next attempt; undefined when this round has given up. */
      readonly retryInMs: number | undefined
      readonly at: number
    }
  | {
      readonly type: 'served_stale'
      readonly generation: number
      readonly expiresAt: number
      readonly at: number
    }
  | { readonly type: 'token_invalidated'; readonly generation: number; readonly at: number }
  | {
      readonly type: 'credentials_rejected'
      readonly status: number | undefined
      /** 0 for the primary key, 1 for the secondary. */
      readonly keyIndex: number
      readonly cooldownUntil: number
      readonly at: number
    }
  | { readonly type: 'credentials_changed'; readonly at: number }
  /** `invalidate(token)` for a token that is no longer current: an earlier rejection already dropped it. */
  | { readonly type: 'invalidate_ignored'; readonly generation: number; readonly at: number }
  /** A `getToken` caller that had to wait (the hot path is counted in `snapshot().servedAtOnce` instead). */
  | {
      readonly type: 'token_waited'
      readonly waitedMs: number
      /** `'token'`, or the error code the wait ended with (`aborted` for the caller's own signal). */
      readonly outcome: 'token' | M3terAuthErrorCode
      readonly at: number
    }
  | {
      /**
       * The shared store failed or did not answer within its budget; the provider went on without it
       * (`get`, `lease`: it fetched for itself; `set`, `delete`, `release`: the write is lost, and a lease
       * runs out by itself). `wait`: another member held the lease for its whole lifetime without
       * storing a token, so this one fetched for itself.
       */
      readonly type: 'store_failed'
      readonly operation: 'get' | 'set' | 'delete' | 'lease' | 'release' | 'wait'
      readonly reason: 'error' | 'timeout'
      readonly at: number
    }
