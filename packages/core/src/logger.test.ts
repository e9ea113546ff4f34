import { afterEach, describe, expect, it, vi } from 'vitest'
import { rig, settle, until } from '../test/harness.ts'
import { isM3terAuthError } from './errors.ts'
import type { Logger } from './logger.ts'
import { chooseLogger, ENV_DEBUG, eventLogger } from './logger.ts'
import { createTokenProvider } from './provider.ts'

interface Line {
  readonly level: keyof Logger
  readonly message: string
  readonly fields: Record<string, unknown> | undefined
}

/** A logger shaped like console/pino/winston that keeps what it was given. */
function recordingLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = []
  const at = (level: keyof Logger) => (message: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, message, fields })
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

describe('debug log', () => {
  afterEach(() => {
    delete process.env[ENV_DEBUG]
    vi.restoreAllMocks()
  })

  it('writes one line per event, with the same fields as the event, at a level that fits the decision', async () => {
    const logger = recordingLogger()
    const r = await rig({ logger })
    try {
      await r.auth.getToken()
      const token = await r.auth.getToken()
      r.auth.invalidate(token)
      r.auth.invalidate(token)
      r.m3ter.faults.inject('token', { kind: 'status', status: 503 }, { times: 1 })
      const refreshed = r.auth.getToken()
      await r.next('refresh_failed')
      await r.clock.advance(1_000)
      await refreshed

      expect(logger.lines.map((l) => l.fields?.type)).toEqual(r.events.map((e) => e.type))
      logger.lines.forEach((line, i) => {
        expect(line.fields).toEqual(r.events[i])
        for (const [key, value] of Object.entries(r.events[i] ?? {}))
          if (value !== undefined) expect(line.message).toContain(`${key}=${String(value)}`)
      })
      const levelOf = (type: string) => logger.lines.find((l) => l.fields?.type === type)?.level
      expect(levelOf('fetch_started')).toBe('debug')
      expect(levelOf('token_invalidated')).toBe('info')
      expect(levelOf('invalidate_ignored')).toBe('debug')
      expect(levelOf('refresh_failed')).toBe('warn')
      const backoff = logger.lines.find((l) => l.fields?.type === 'refresh_failed')
      expect(backoff?.message).toMatch(/code=token_endpoint_unavailable status=503 attempt=1 retryInMs=\d+/)
      const restart = logger.lines.filter((l) => l.fields?.type === 'fetch_started')[1]
      expect(restart?.message).toContain('reason=invalidated')
    } finally {
      await r.close()
    }
  })

  it('logs rejected credentials at error level', async () => {
    const logger = recordingLogger()
    const r = await rig({ logger })
    try {
      r.m3ter.faults.inject('token', { kind: 'status', status: 401 }, { times: 1 })
      const { error } = await settle(r.auth.getToken())
      expect(isM3terAuthError(error) && error.code).toBe('invalid_credentials')
      const line = logger.lines.find((l) => l.fields?.type === 'credentials_rejected')
      expect(line?.level).toBe('error')
      expect(line?.message).toContain('keyIndex=0')
    } finally {
      await r.close()
    }
  })

  it('a logger that throws does not break getToken', async () => {
    const broken = () => {
      throw new Error('disk full')
    }
    const r = await rig({ logger: { debug: broken, info: broken, warn: broken, error: broken } })
    try {
      await expect(r.auth.getToken()).resolves.toMatch(/\S/)
    } finally {
      await r.close()
    }
  })

  it('M3TER_AUTH_DEBUG=1 turns on a console logger; a logger given wins; none otherwise', () => {
    expect(chooseLogger(undefined)).toBeUndefined()
    process.env[ENV_DEBUG] = '1'
    expect(chooseLogger(undefined)).toBe(console)
    const mine = recordingLogger()
    expect(chooseLogger(mine)).toBe(mine)
    process.env[ENV_DEBUG] = '0'
    expect(chooseLogger(undefined)).toBeUndefined()
  })

  it('with M3TER_AUTH_DEBUG=1 the provider logs to console.debug', async () => {
    process.env[ENV_DEBUG] = '1'
    const seen: unknown[][] = []
    vi.spyOn(console, 'debug').mockImplementation((...args: unknown[]) => void seen.push(args))
    const r = await rig()
    try {
      await r.auth.getToken()
      expect(seen.map(([message]) => String(message).split(' ')[1])).toEqual([
        'type=fetch_started',
        'type=token_waited',
        'type=token_fetched',
      ])
    } finally {
      await r.close()
    }
  })

  it('refuses a logger without the four methods, with invalid_options', () => {
    let error: unknown
    try {
      createTokenProvider({ logger: { info: () => {} } as unknown as Logger })
    } catch (caught) {
      error = caught
    }
    expect(isM3terAuthError(error) && error.code).toBe('invalid_options')
    expect(String(error)).toContain('logger')
  })

  it('eventLogger leaves out fields that are undefined', () => {
    const logger = recordingLogger()
    eventLogger(logger)({
      type: 'refresh_failed',
      code: 'timeout',
      status: undefined,
      attempt: 4,
      retryInMs: undefined,
      at: 5,
    })
    expect(logger.lines[0]?.message).toBe('m3ter-auth type=refresh_failed code=timeout attempt=4 at=5')
    expect(logger.lines[0]?.level).toBe('warn')
  })
})

describe('events for observers', () => {
  it('subscribe() adds a listener to an existing provider, and its unsubscribe removes it', async () => {
    const r = await rig()
    try {
      const seen: string[] = []
      const unsubscribe = r.auth.subscribe((e) => seen.push(e.type))
      const twice = r.auth.subscribe(() => {
        throw new Error('a listener bug')
      })
      await r.auth.getToken()
      unsubscribe()
      twice()
      r.auth.invalidate(await r.auth.getToken())
      expect(seen).toEqual(['fetch_started', 'token_waited', 'token_fetched'])
      expect(r.events.map((e) => e.type)).toContain('token_invalidated')
    } finally {
      await r.close()
    }
  })

  it('callers that wait get token_waited with the time waited; the hot path is counted, not emitted', async () => {
    const r = await rig()
    try {
      r.m3ter.faults.inject('token', { kind: 'hold' })
      const waiting = [r.auth.getToken(), r.auth.getToken(), r.auth.getToken()]
      await until(() => r.m3ter.stats.tokenRequests >= 1, 'the token request reached the mock')
      await r.clock.advance(250)
      r.m3ter.faults.release()
      await Promise.all(waiting)
      for (let i = 0; i < 10; i++) await r.auth.getToken()
      const waits = r.events.filter((e) => e.type === 'token_waited')
      expect(waits).toHaveLength(3)
      for (const wait of waits) expect(wait).toMatchObject({ waitedMs: 250, outcome: 'token' })
      expect(r.auth.snapshot().servedAtOnce).toBe(10)
      const fetched = r.events.find((e) => e.type === 'token_fetched')
      expect(fetched).toMatchObject({ source: 'endpoint', attempt: 1 })
      expect(r.events[0]).toMatchObject({ type: 'fetch_started', reason: 'cold', keyIndex: 0 })
    } finally {
      await r.close()
    }
  })

  it('a wait that ends in an error reports its code', async () => {
    const r = await rig()
    try {
      r.m3ter.faults.inject('token', { kind: 'status', status: 400 })
      await settle(r.auth.getToken())
      expect(r.events.find((e) => e.type === 'token_waited')).toMatchObject({
        outcome: 'invalid_credentials',
      })
    } finally {
      await r.close()
    }
  })

  it('invalidating a token that is no longer current emits invalidate_ignored', async () => {
    const r = await rig()
    try {
      const token = await r.auth.getToken()
      expect(r.auth.invalidate(token)).toBe(true)
      expect(r.auth.invalidate(token)).toBe(false)
      expect(r.events.slice(-2).map((e) => e.type)).toEqual(['token_invalidated', 'invalidate_ignored'])
    } finally {
      await r.close()
    }
  })
})
