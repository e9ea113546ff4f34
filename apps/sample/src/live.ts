import {
  createTokenProvider,
  isM3terAuthError,
  type M3terAuthEvent,
  type TokenProvider,
} from '@m3ter-auth/core'
import { type AdapterName, drivers } from './drivers.ts'
import { oneLine } from './scenario.ts'
import { formatTable, type Row } from './table.ts'

/**
 * Options of {@link runLive}: which adapters to call m3ter through, and another token endpoint if given.
 *
 * @example
 * ```ts
 * const options: LiveOptions = { adapters: ['fetch'], tokenUrl: process.env.M3TER_TOKEN_URL }
 * ```
 */
export interface LiveOptions {
  readonly adapters: readonly AdapterName[]
  readonly tokenUrl?: string | undefined
}

const REQUIRED = ['M3TER_API_KEY', 'M3TER_API_SECRET', 'M3TER_ORG_ID'] as const

/**
 * Read-only calls to real m3ter through each adapter: one page of meters each, sharing one token.
 * Returns the exit code: 0 all answered 200, 1 some call failed, 2 usage or credentials, 3 network.
 *
 * @example
 * ```ts
 * process.exitCode = await runLive(process.env, { adapters: ['fetch', 'axios'] })
 * ```
 */
export async function runLive(env: NodeJS.ProcessEnv, options: LiveOptions): Promise<number> {
  const missing = REQUIRED.filter((name) => !env[name])
  if (missing.length > 0) {
    console.error(
      `sample --live: set ${missing.join(', ')} (the Service User's access key, API secret and org id)`,
    )
    return 2
  }
  const base = (env.M3TER_BASE_URL || 'https://api.m3ter.com').replace(/\/+$/, '')
  const tokenUrl = options.tokenUrl ?? `${base}/oauth/token`
  let fetchMs = 0
  let auth: TokenProvider
  try {
    auth = createTokenProvider({
      credentials: { accessKeyId: env.M3TER_API_KEY ?? '', apiSecret: env.M3TER_API_SECRET ?? '' },
      tokenUrl,
      scope: [new URL(base).origin],
      // A person is waiting at a terminal: two attempts, then say what is wrong.
      retry: { maxAttempts: 2, maxElapsedMs: 5_000 },
      // Core unrefs its timers so an idle provider never holds a process open; here a backoff between two
      // attempts is all that is pending, and with unref'd timers Node would exit mid-await with code 0.
      clock: refClock,
      onEvent(event: M3terAuthEvent) {
        if (event.type === 'token_fetched') fetchMs = event.durationMs
      },
    })
  } catch (error) {
    console.error(`sample --live: ${oneLine(error)}`)
    return 2
  }
  try {
    try {
      await auth.getToken()
    } catch (error) {
      console.error(`sample --live: no token: ${describe(error)}`)
      return isM3terAuthError(error) && error.code === 'invalid_credentials' ? 2 : 3
    }
    const { expiresAt } = auth.snapshot()
    const left = expiresAt === undefined ? 0 : expiresAt - Date.now()
    console.log(`m3ter-auth sample --live: ${base}, org ${env.M3TER_ORG_ID}`)
    console.log(
      `token: fetched in ${Math.round(fetchMs)} ms, served until ${new Date(expiresAt ?? 0).toISOString()} (${formatDuration(left)} from now)\n`,
    )
    const rows: Row[] = []
    let code = 0
    for (const adapter of options.adapters) {
      const driver = drivers[adapter](auth)
      const started = performance.now()
      try {
        const answer = await driver.send(
          'GET',
          `${base}/organizations/${env.M3TER_ORG_ID}/meters?pageSize=10`,
        )
        const ms = Math.round(performance.now() - started)
        const data = (answer.body as { data?: unknown[] } | undefined)?.data
        const message = (answer.body as { message?: unknown } | undefined)?.message
        const what =
          answer.status === 200 ? `${data?.length ?? 0} meters on the first page` : String(message ?? '')
        rows.push([adapter, String(answer.status), what, `${ms} ms`])
        if (answer.status !== 200)
          code = Math.max(code, answer.status === 401 || answer.status === 403 ? 2 : 1)
      } catch (error) {
        rows.push([adapter, '-', describe(error), `${Math.round(performance.now() - started)} ms`])
        code = 3
      } finally {
        await driver.close()
      }
    }
    console.log(
      formatTable(
        [
          { heading: 'adapter' },
          { heading: 'status', right: true },
          { heading: 'answer' },
          { heading: 'time', right: true },
        ],
        rows,
      ),
    )
    return code
  } finally {
    await auth.close()
  }
}

const refClock = {
  now: () => Date.now(),
  setTimeout: (callback: () => void, ms: number): unknown => setTimeout(callback, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

/** The error's own line, plus what lies underneath it (ENOTFOUND, ECONNREFUSED, "bad port") when it adds anything. */
function describe(error: unknown): string {
  let deepest: string | undefined
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code
    if (cause !== error) deepest = typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : oneLine(cause)
  }
  const line = oneLine(error)
  return deepest === undefined || line.includes(deepest) ? line : `${line} [${deepest}]`
}

function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000))
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}
