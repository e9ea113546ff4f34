import { describe, expect, it } from 'vitest'
import { M3terAuthError } from './errors.ts'
import { tokenFailure, transportFailure } from './token-failure.ts'

const where = 'POST https://api.m3ter.com/oauth/token'
const how = { timedOut: false, closed: false, timeoutMs: 10_000 }
const failureOf = (attempt: ReturnType<typeof transportFailure>) => {
  if (attempt.ok) throw new Error('expected a failure')
  return attempt.failure
}
const leaky = () =>
  Object.assign(new TypeError('fetch failed: authorization: Basic a2V5OnNlY3JldA=='), {
    code: 'ECONNREFUSED',
    cause: new Error('Bearer eyJhbGciOiJIUzI1NiJ9.x.y'),
  })

describe('a failed token attempt', () => {
  it('counts only invalid_credentials as the key rejected', () => {
    expect(
      failureOf(tokenFailure(where, 'invalid_credentials', 'answered 401', false)).credentialsRejected,
    ).toBe(true)
    expect(failureOf(tokenFailure(where, 'invalid_token_response', 'x', false)).credentialsRejected).toBe(
      false,
    )
  })

  it('carries status and Retry-After, and prefixes the message with where', () => {
    const failure = failureOf(
      tokenFailure(where, 'token_endpoint_unavailable', 'answered 503', true, {
        status: 503,
        retryAfterMs: 2000,
      }),
    )
    expect(failure).toMatchObject({ retryable: true, credentialsRejected: false, retryAfterMs: 2000 })
    expect(failure.error).toBeInstanceOf(M3terAuthError)
    expect(failure.error).toMatchObject({ code: 'token_endpoint_unavailable', status: 503 })
    expect(failure.error.message).toBe(`${where}: answered 503`)
  })
})

describe('a request that got no answer', () => {
  it('is retryable and unavailable for a refused or dropped connection, its code kept, no message quoted', () => {
    const failure = failureOf(transportFailure(leaky(), where, how))
    expect(failure).toMatchObject({ retryable: true, credentialsRejected: false, retryAfterMs: undefined })
    expect(failure.error).toMatchObject({
      code: 'token_endpoint_unavailable',
      message: `${where}: request failed`,
    })
    expect(failure.error.status).toBeUndefined()
    expect(failure.error.cause).toMatchObject({ name: 'TypeError', code: 'ECONNREFUSED' })
  })

  it('scrubs every Basic and Bearer value from the kept cause, its own causes included', () => {
    const { error } = failureOf(transportFailure(leaky(), where, how))
    const cause = error.cause as Error
    expect(cause.message).toBe('fetch failed: authorization: Basic [redacted]')
    expect((cause.cause as Error).message).toBe('Bearer [redacted]')
    expect(cause).not.toBe(leaky())
  })

  it('is a retryable timeout when the attempt timed out, even if the provider closed meanwhile', () => {
    const failure = failureOf(
      transportFailure(new Error('aborted'), where, { ...how, timedOut: true, closed: true }),
    )
    expect(failure).toMatchObject({ retryable: true, credentialsRejected: false })
    expect(failure.error).toMatchObject({ code: 'timeout', message: `${where}: no answer within 10000 ms` })
  })

  it('is closed, not retryable, when the provider was closed', () => {
    const failure = failureOf(transportFailure(new Error('aborted'), where, { ...how, closed: true }))
    expect(failure).toMatchObject({ retryable: false, credentialsRejected: false })
    expect(failure.error).toMatchObject({
      code: 'closed',
      message: `${where}: the token provider was closed`,
    })
  })

  it('passes an M3terAuthError thrown by the injected fetch on as is, not retryable', () => {
    const thrown = new M3terAuthError('invalid_options', 'wrapped fetch: no')
    expect(failureOf(transportFailure(thrown, where, { ...how, timedOut: true }))).toEqual({
      error: thrown,
      retryable: false,
      credentialsRejected: false,
      retryAfterMs: undefined,
    })
  })
})
