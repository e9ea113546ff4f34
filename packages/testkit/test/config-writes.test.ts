import { afterEach, describe, expect, it } from 'vitest'
import { createManualClock, type MockM3ter, startMockM3ter } from '../src/index.ts'
import { call, token } from './helpers.ts'

let m3ter: MockM3ter
afterEach(() => m3ter?.close())

const meter = {
  code: 'api_calls',
  name: 'API calls',
  dataFields: [{ category: 'MEASURE', code: 'calls', name: 'Calls', unit: '{count}' }],
  derivedFields: [],
}

async function setup(options: Parameters<typeof startMockM3ter>[0] = {}) {
  m3ter = await startMockM3ter({ orgId: 'org', ...options })
  const bearer = await token(m3ter)
  const send = (method: string, path: string, body?: unknown) =>
    call(`${m3ter.apiUrl}/organizations/org${path}`, {
      bearer,
      method,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      headers: { 'content-type': 'application/json' },
    })
  return { bearer, send }
}

describe('config writes: meters and accounts', () => {
  it('creates a meter (200, version 1, audit fields from the mock clock), then gets, lists and filters it', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 2))
    const { send } = await setup({ clock, meters: 3 })
    const created = await send('POST', '/meters', meter)
    expect(created.status).toBe(200)
    expect(created.json).toEqual({
      ...meter,
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      version: 1,
      dtCreated: '2026-01-02T00:00:00.000Z',
      dtLastModified: '2026-01-02T00:00:00.000Z',
      createdBy: m3ter.keys[0]?.accessKeyId,
      lastModifiedBy: m3ter.keys[0]?.accessKeyId,
    })
    const id = created.json.id as string
    expect((await send('GET', `/meters/${id}`)).json).toEqual(created.json)
    expect(m3ter.meters).toHaveLength(4)
    const byId = await send('GET', `/meters?ids=${id}`)
    expect(byId.json).toEqual({ data: [created.json] })
    const byCodes = await send('GET', '/meters?codes=meter-0001,api_calls,nope')
    expect((byCodes.json.data as { code: string }[]).map((m) => m.code)).toEqual(['meter-0001', 'api_calls'])
    const repeated = await send('GET', `/meters?ids=${m3ter.meters[1]?.id}&ids=${id}&pageSize=1`)
    expect((repeated.json.data as unknown[]).length).toBe(1)
    expect(repeated.json.nextToken).toEqual(expect.any(String))
  })

  it('updates with the current version only (+1 each time), and deletes (200 with the entity, then 404)', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 2))
    const { send } = await setup({ clock })
    const { id } = (await send('POST', '/meters', meter)).json as { id: string }
    await clock.advance(60_000)
    const stale = await send('PUT', `/meters/${id}`, { ...meter, name: 'Calls', version: 7 })
    expect(stale.status).toBe(400)
    expect(stale.json).toEqual({ message: expect.any(String) })
    const updated = await send('PUT', `/meters/${id}`, { ...meter, name: 'Calls', version: 1 })
    expect(updated.json).toMatchObject({
      id,
      name: 'Calls',
      version: 2,
      dtCreated: '2026-01-02T00:00:00.000Z',
      dtLastModified: '2026-01-02T00:01:00.000Z',
    })
    expect((await send('PUT', `/meters/${id}`, { ...meter, version: 1 })).status).toBe(400)
    const deleted = await send('DELETE', `/meters/${id}`)
    expect(deleted.status).toBe(200)
    expect(deleted.json).toMatchObject({ id, version: 2 })
    for (const [method, body] of [['GET'], ['DELETE'], ['PUT', { ...meter, version: 2 }]] as const) {
      const gone = await send(method, `/meters/${id}`, body)
      expect(gone.status).toBe(404)
      expect(gone.json).toEqual({ message: expect.any(String) })
    }
  })

  it('creates, updates and deletes accounts with their required code, name and emailAddress', async () => {
    const { send } = await setup({ accounts: 2 })
    const account = { code: 'Acme Corp', name: 'Acme', emailAddress: 'billing@acme.example', currency: 'USD' }
    const created = await send('POST', '/accounts', account)
    expect(created.status).toBe(200)
    expect(created.json).toMatchObject({ ...account, version: 1 })
    const id = created.json.id as string
    expect(
      (await send('PUT', `/accounts/${id}`, { ...account, name: 'Acme Ltd', version: 1 })).json,
    ).toMatchObject({ name: 'Acme Ltd', version: 2 })
    expect((await send('GET', '/accounts?codes=Acme%20Corp')).json.data).toHaveLength(1)
    expect((await send('DELETE', `/accounts/${id}`)).status).toBe(200)
    expect(m3ter.accounts.map((a) => a.code)).toEqual(['account-0001', 'account-0002'])
    // Generated accounts carry the fields m3ter always answers.
    expect(m3ter.accounts[0]).toMatchObject({ emailAddress: 'account-0001@example.com', version: 1 })
  })

  it("refuses what m3ter's schema refuses with 400 {message}, and a duplicate code", async () => {
    const { send } = await setup()
    const bad: unknown[] = [
      '{not json',
      [],
      { ...meter, code: undefined },
      { ...meter, code: 'x'.repeat(81) },
      { ...meter, code: ' padded' },
      { ...meter, name: '' },
      { ...meter, dataFields: [] },
      { ...meter, derivedFields: null },
      { ...meter, dataFields: [{ category: 'SIZE', code: 'calls', name: 'Calls' }] },
      { ...meter, dataFields: [{ category: 'MEASURE', code: '1calls', name: 'Calls' }] },
      { ...meter, derivedFields: [{ category: 'MEASURE', code: 'x', name: 'X' }] },
      { ...meter, productId: 'short' },
      { ...meter, customFields: { tier: { nested: true } } },
      { ...meter, code: 'meter-0001' },
    ]
    for (const body of bad) {
      const res = await send('POST', '/meters', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.json).toEqual({ message: expect.any(String) })
    }
    for (const body of [
      { code: 'a', name: 'A', emailAddress: 'not-an-email' },
      { code: 'a', name: 'A' },
      { code: 'account-0001', name: 'A', emailAddress: 'a@b.example' },
    ])
      expect((await send('POST', '/accounts', body)).status).toBe(400)
    expect((await send('PATCH', '/meters/meter-0001', meter)).status).toBe(405)
    expect((await send('DELETE', '/meters')).status).toBe(405)
    expect(m3ter.meters).toHaveLength(250)
  })
})
