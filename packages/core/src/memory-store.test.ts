import { expect, it } from 'vitest'
import { createMemoryStore } from './memory-store.ts'

const token = (accessToken: string, expiresAt: number) => ({
  accessToken,
  obtainedAt: 0,
  refreshAt: expiresAt / 2,
  expiresAt,
})

it('a write never replaces a token that expires later: a stalled holder’s older token is ignored', async () => {
  const store = createMemoryStore()
  await store.set('k', token('newer', 2_000))
  await store.set('k', token('older', 1_000))
  expect((await store.get('k'))?.accessToken).toBe('newer')
  await store.set('k', token('newest', 3_000))
  expect((await store.get('k'))?.accessToken).toBe('newest')
})

it('compare-and-delete leaves a tombstone: a late or re-sent write of the deleted token is ignored', async () => {
  const store = createMemoryStore()
  await store.set('k', token('revoked', 1_000))
  await store.delete('k', 'revoked')
  await store.set('k', token('revoked', 1_000)) // replayed after a reconnect
  expect(await store.get('k')).toBeUndefined()
  await store.set('k', token('fresh', 2_000))
  expect((await store.get('k'))?.accessToken).toBe('fresh')
})

it('compare-and-delete leaves a newer token alone', async () => {
  const store = createMemoryStore()
  await store.set('k', token('newer', 2_000))
  await store.delete('k', 'older')
  expect((await store.get('k'))?.accessToken).toBe('newer')
})
