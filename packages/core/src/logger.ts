import { readEnvironment } from './environment.ts'
import type { M3terAuthEvent } from './events.ts'

/**
 * Where the debug log goes: anything with `debug`, `info`, `warn` and `error` taking a message and an
 * optional object of fields, which `console`, pino, winston and bunyan all have.
 *
 * @example
 * ```ts
 * import pino from 'pino'
 *
 * createTokenProvider({ logger: console })
 * createTokenProvider({ logger: pino({ level: 'debug' }).child({ component: 'm3ter-auth' }) })
 * ```
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

/**
 * The environment variable that turns on a console debug log when no `logger` option is given (`1` or
 * `true`), read when a provider is created.
 *
 * @example
 * ```ts
 * // Without a code change:  M3TER_AUTH_DEBUG=1 node app.js
 * // Or in a test that wants the lines on its console:
 * process.env[ENV_DEBUG] = '1'
 * const auth = createTokenProvider({ tokenUrl: m3ter.tokenUrl, scope: [m3ter.apiUrl] })
 * ```
 */
export const ENV_DEBUG = 'M3TER_AUTH_DEBUG'

// The level of each decision: what an operator wants to see at info, warn and error. Events added later
// get a line at debug.
const LEVELS: Partial<Record<M3terAuthEvent['type'], keyof Logger>> = {
  refresh_failed: 'warn',
  served_stale: 'warn',
  token_invalidated: 'info',
  credentials_rejected: 'error',
  credentials_changed: 'info',
  store_failed: 'warn',
}

/**
 * Turns events into log lines: one per decision, the event's fields both in the text (`key=value`, for
 * loggers that print only the message) and as the second argument (for structured loggers). Events carry
 * no secret and no token, so neither can the lines. A logger that throws is ignored.
 *
 * @example
 * ```ts
 * const log = eventLogger(console)
 * log({ type: 'fetch_started', reason: 'cold', attempt: 1, keyIndex: 0, at: 1_700_000_000_000 })
 * // console.debug('m3ter-auth type=fetch_started reason=cold attempt=1 keyIndex=0 at=1700000000000', { type: 'fetch_started', … })
 * ```
 */
export function eventLogger(logger: Logger): (event: M3terAuthEvent) => void {
  return (event) => {
    const fields = { ...event } as Record<string, unknown>
    const text = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(' ')
    try {
      logger[LEVELS[event.type] ?? 'debug'](`m3ter-auth ${text}`, fields)
    } catch {
      // A broken logger must not break authentication.
    }
  }
}

/**
 * The logger a provider uses: the one given, else `console` when `M3TER_AUTH_DEBUG` is `1` or `true` in an
 * environment that has one (Node, Bun, Deno with env access), else none.
 *
 * @example
 * ```ts
 * chooseLogger(undefined) // console when M3TER_AUTH_DEBUG=1, else undefined
 * ```
 */
export function chooseLogger(logger: Logger | undefined): Logger | undefined {
  if (logger) return logger
  const flag = readEnvironment(ENV_DEBUG)
  return flag === '1' || flag === 'true' ? (globalThis.console as Logger) : undefined
}
