import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTokenProvider, isM3terAuthError, type M3terAuthEvent } from '@m3ter-auth/core'
import { createManualClock } from '@m3ter-auth/testkit'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { trackUnhandled, turn } from './support/unhandled.ts'

// Part 4 of issue 7: arbitrary token endpoint answers (status, headers, body) never crash the provider,
// never give an accepted token from an invalid answer, and always settle every waiter. A tiny node:http
// server answers whatever the property generated; an independent reference validator, written here from
// DESIGN §1/§4.9 and RFC 6750, says which answers are acceptable.

interface Answer {
  status: number
  headers: Record<string, string>
  body: string
}

let current: Answer = { status: 500, headers: {}, body: '' }
let server: Server
let tokenUrl: string
let served = 0
const unhandled = trackUnhandled()

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      served += 1
      res.writeHead(current.status, current.headers)
      res.end(current.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`
})
afterAll(async () => {
  unhandled.stop()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

// A token must live at least a minute (shorter ones are unusable once the safety skew is off) and at most a week.
const MIN_EXPIRES_IN = 60
const MAX_EXPIRES_IN = 7 * 24 * 3600
const MAX_BYTES = 64 * 1024

/** The reference: the access token an answer must yield, or undefined when it must be refused. */
function reference(answer: Answer): string | undefined {
  if (answer.status < 200 || answer.status > 299) return undefined
  // 204 and 205 carry no body on the wire whatever the server wrote.
  const body = answer.status === 204 || answer.status === 205 ? '' : answer.body
  if (Buffer.byteLength(body) > MAX_BYTES) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined
  const { access_token: token, token_type: type, expires_in: expiresIn } = parsed as Record<string, unknown>
  if (typeof token !== 'string' || !/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) return undefined
  if (typeof type !== 'string' || type.toLowerCase() !== 'bearer') return undefined
  if (
    typeof expiresIn !== 'number' ||
    !Number.isFinite(expiresIn) ||
    expiresIn < MIN_EXPIRES_IN ||
    expiresIn > MAX_EXPIRES_IN
  )
    return undefined
  return token
}

const b64token = fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,40}=*$/)
const anyToken = fc.oneof(
  b64token,
  fc.string(),
  fc.constantFrom('', ' ', 'a b', 'tok\nen', 'é', '=abc', 'abc=def'),
  fc.integer(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
)
const anyType = fc.oneof(
  fc.constantFrom('Bearer', 'bearer', 'BEARER', 'BeArEr', 'mac', 'Bearer ', ' bearer', ''),
  fc.string(),
  fc.constant(null),
  fc.integer(),
)
const anyExpires = fc.oneof(
  fc.constantFrom(0, -1, 1, 18000, MAX_EXPIRES_IN, MAX_EXPIRES_IN + 1, 1e12, 0.5, -0, '18000', null, true),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string(),
)
const tokenLike = fc
  .record(
    {
      access_token: anyToken,
      token_type: anyType,
      expires_in: anyExpires,
      extra: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  )
  .map((value) => JSON.stringify(value))
const body = fc.oneof(
  { weight: 5, arbitrary: tokenLike },
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '<html><body>502</body></html>',
      '',
      'null',
      '[]',
      '"x"',
      '{',
      '{"access_token":',
    ),
  },
  {
    weight: 1,
    // Valid but oversize, or padded to just under/over the 64 KiB cap.
    arbitrary: fc.integer({ min: MAX_BYTES - 200, max: MAX_BYTES + 200 }).map((size) => {
      const head = '{"token_type":"Bearer","access_token":"abc","expires_in":60,"pad":"'
      return `${head}${'x'.repeat(Math.max(0, size - head.length - 2))}"}`
    }),
  },
)
const status = fc.oneof(
  { weight: 4, arbitrary: fc.constant(200) },
  { weight: 2, arbitrary: fc.constantFrom(201, 202, 203, 204, 205, 206, 299) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      301,
      302,
      303,
      304,
      307,
      308,
      400,
      401,
      403,
      404,
      408,
      418,
      429,
      500,
      502,
      503,
      504,
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 599 }) },
)
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,40}$/)
const headers = fc
  .record(
    {
      'content-type': fc.oneof(
        fc.constantFrom('application/json', 'text/html', 'application/json; charset=utf-8', ''),
        headerValue,
      ),
      'retry-after': fc.oneof(
        fc.integer({ min: 0, max: 1_000_000 }).map(String),
        fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
        headerValue,
      ),
      'x-noise': headerValue,
      location: fc.constantFrom('http://127.0.0.1:1/elsewhere', '/oauth/token'),
    },
    { requiredKeys: [] },
  )
  // Node refuses empty header values in writeHead only for some; drop them to keep the server honest.
  .map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== '')))
// Answers one step from a good one (or good): the boundary where a lax validator would slip.
const nearValid = fc
  .tuple(
    fc.record({
      access_token: b64token,
      token_type: fc.constantFrom('Bearer', 'bearer', 'BEARER'),
      expires_in: fc.oneof(
        fc.integer({ min: 1, max: MAX_EXPIRES_IN }),
        fc.double({ min: 0.001, max: MAX_EXPIRES_IN, noNaN: true }),
      ),
    }),
    fc.option(
      fc.tuple(
        fc.constantFrom('access_token', 'token_type', 'expires_in'),
        fc.oneof(anyToken, anyType, anyExpires),
      ),
    ),
  )
  .map(([good, tweak]) => JSON.stringify(tweak === null ? good : { ...good, [tweak[0]]: tweak[1] }))
const answer = fc.oneof(
  fc.record({ status, headers, body }),
  fc.record({ status: fc.constantFrom(200, 200, 201, 203), headers, body: nearValid }),
)

/** A provider on a manual clock asking the generated server; the clock moves only to announced retries. */
async function ask(a: Answer, waiters: number, abortOne: boolean) {
  current = a
  const clock = createManualClock()
  const events: M3terAuthEvent[] = []
  const auth = createTokenProvider({
    credentials: { accessKeyId: 'prop-key', apiSecret: 'prop-secret' },
    tokenUrl,
    scope: ['http://127.0.0.1:1'],
    clock,
    random: () => 0.5,
    retry: { maxAttempts: 3 },
    onEvent: (event) => events.push(event),
  })
  const controller = new AbortController()
  const settled: Array<{ value?: string; error?: unknown } | undefined> = []
  const calls = Array.from({ length: waiters }, (_, i) =>
    auth.getToken(abortOne && i === 0 ? { signal: controller.signal } : {}).then(
      (value) => {
        settled[i] = { value }
      },
      (error: unknown) => {
        settled[i] = { error }
      },
    ),
  )
  if (abortOne) controller.abort()
  let handled = 0
  const start = Date.now()
  while (settled.filter(Boolean).length < waiters) {
    if (Date.now() - start > 5000)
      throw new Error(`waiters never settled for ${JSON.stringify(a).slice(0, 200)}`)
    const fresh = events.slice(handled)
    handled = events.length
    const retry = fresh.find((e) => e.type === 'refresh_failed' && e.retryInMs !== undefined)
    if (retry?.type === 'refresh_failed') await clock.advanceTo(retry.at + retry.retryInMs!)
    else await turn()
  }
  await Promise.all(calls)
  const snapshot = auth.snapshot()
  await auth.close()
  // An attempt still in flight (its only waiter aborted) winds down a turn after close (see cancellation).
  for (let i = 0; i < 200 && clock.pending() > 0; i++) await turn()
  return { settled, events, snapshot, pending: clock.pending() }
}

describe('property: arbitrary token endpoint answers', () => {
  it('never crash, never accept an invalid answer, always settle every waiter', async () => {
    let accepted = 0
    let refused = 0
    await fc.assert(
      fc.asyncProperty(answer, fc.integer({ min: 1, max: 4 }), fc.boolean(), async (a, waiters, abortOne) => {
        const before = unhandled.seen.length
        const servedBefore = served
        const { settled, events, pending } = await ask(a, waiters, abortOne)
        const expected = reference(a)
        for (const [i, result] of settled.entries()) {
          if (abortOne && i === 0) {
            // The aborting caller ends its own wait, whatever the server says.
            expect(isM3terAuthError(result?.error) && result.error.code).toBe('aborted')
            continue
          }
          if (expected === undefined) {
            // Refused: a typed error for every waiter, never a token.
            expect(result?.value).toBeUndefined()
            expect(isM3terAuthError(result?.error)).toBe(true)
          } else {
            expect(result?.error).toBeUndefined()
            expect(result?.value).toBe(expected)
          }
        }
        if (expected === undefined) refused += 1
        else accepted += 1
        // Bounded: never more attempts than retry.maxAttempts, and no event carries the body's token.
        expect(served - servedBefore).toBeLessThanOrEqual(3)
        const fetched = events.filter((e) => e.type === 'token_fetched').length
        if (expected === undefined) expect(fetched).toBe(0)
        // With every waiter gone (the one caller aborted) the answer may land after close: at most one.
        else expect(fetched).toBe(abortOne && waiters === 1 ? fetched && 1 : 1)
        expect(pending).toBe(0)
        await turn()
        expect(unhandled.seen.slice(before)).toEqual([])
      }),
      { numRuns: 300 },
    )
    console.log(`property: ${accepted} accepted, ${refused} refused answers`)
    // The generators reach both sides of the reference.
    expect(accepted).toBeGreaterThan(10)
    expect(refused).toBeGreaterThan(10)
  }, 120_000)
})
