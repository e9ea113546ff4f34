import { afterEach, describe, expect, it } from 'vitest'
import { type Rig, rig } from '../test/harness.ts'
import { judgeAnswer, type RequestAnswer } from './request-policy.ts'

// The §4.5 rule one step at a time: answers are handed to judgeAnswer as an adapter would, with tokens from
// the real provider and the mock's token endpoint; the statuses are chosen by each test.

const ORG = 'https://api.m3ter.com/organizations/o'
const open: Rig[] = []
afterEach(async () => {
  for (const r of open.splice(0)) await r.close()
})

async function setup() {
  const r = await rig({ scope: ['https://api.m3ter.com'] })
  open.push(r)
  /** The first answer of a call, judged; a 'retry' is sent again with the current token and judged too. */
  const call = async (path: string, first: number, second = first): Promise<string> => {
    const answer = (token: string, status: number, retried: boolean): RequestAnswer => ({
      method: 'GET',
      url: `${ORG}${path}`,
      status,
      token,
      answeredFrom: 'asked',
      retried,
    })
    const verdict = judgeAnswer(r.auth, answer(await r.auth.getToken(), first, false))
    if (verdict === 'retry') judgeAnswer(r.auth, answer(await r.auth.getToken(), second, true))
    return verdict
  }
  return { r, call, tokens: () => r.m3ter.stats.tokenRequests }
}

describe('request policy: the per-route rule', () => {
  it('a route that refused a new token is held; every other route still gets one', async () => {
    const { call, tokens } = await setup()
    expect(await call('/accounts', 403)).toBe('retry')
    expect(await call('/accounts', 403)).toBe('pass')
    expect(await call('/accounts/a-7', 403)).toBe('pass')
    // A revocation met on any other route: a new token at once.
    expect(await call('/meters', 403, 200)).toBe('retry')
    expect(await call('/plans', 403, 200)).toBe('retry')
    expect(tokens()).toBe(4)
  })

  it('the hold doubles from a minute; then the budget of 3 per 5 hours stops it', async () => {
    const { r, call, tokens } = await setup()
    const verdicts: string[] = []
    for (let minute = 0; minute < 30; minute++) {
      verdicts.push(await call('/accounts', 403))
      await r.clock.advance(60_000)
    }
    // New tokens at minutes 0, 1 and 3 (holds of 1 and 2 minutes), then the 3 are spent.
    expect(verdicts.flatMap((v, minute) => (v === 'retry' ? [minute] : []))).toEqual([0, 1, 3])
    expect(tokens()).toBe(4)
    // Five hours after the first, the budget has room again.
    await r.clock.advance(5 * 60 * 60 * 1000 - 30 * 60_000)
    expect(await call('/accounts', 403)).toBe('retry')
  })

  it('concurrent retries refused together hold the route once, not once each', async () => {
    const { r } = await setup()
    const token = await r.auth.getToken()
    const url = `${ORG}/accounts`
    const first = { method: 'GET', url, status: 403, token, answeredFrom: 'asked' } as const
    const verdicts = Array.from({ length: 5 }, () => judgeAnswer(r.auth, first))
    expect(verdicts).toEqual(Array(5).fill('retry'))
    const fresh = await r.auth.getToken()
    for (let i = 0; i < 5; i++) judgeAnswer(r.auth, { ...first, token: fresh, retried: true })
    expect(r.m3ter.stats.tokenRequests).toBe(2)
    // Held for one minute (not 2⁴ minutes): a minute later the route gets a new token again.
    await r.clock.advance(60_000)
    expect(judgeAnswer(r.auth, { ...first, token: await r.auth.getToken() })).toBe('retry')
  })

  it("a proxy's 401s hold the route for 401 only: m3ter's 403 for a revoked token is still recovered", async () => {
    const { call } = await setup()
    expect(await call('/meters', 401)).toBe('retry')
    expect(await call('/meters', 401)).toBe('pass')
    expect(await call('/meters', 403, 200)).toBe('retry')
  })

  it('a new token that cured the call is not counted: revocations do not use up the budget', async () => {
    const { r, call, tokens } = await setup()
    expect(await call('/r0', 403)).toBe('retry')
    expect(await call('/r1', 403)).toBe('retry')
    // Two of the 3 spent; a revocation cured on another route is free...
    expect(await call('/meters', 403, 200)).toBe('retry')
    await r.clock.advance(60_000)
    // ...so once its hold is over, /r0 may still have one more.
    expect(await call('/r0', 403)).toBe('retry')
    expect(await call('/r1', 403)).toBe('pass')
    expect(tokens()).toBe(5)
  })
})
