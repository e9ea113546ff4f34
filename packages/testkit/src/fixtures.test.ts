import { describe, expect, it } from 'vitest'
import { generateEntities, paginate } from './fixtures.ts'

describe('paginate', () => {
  const meters = generateEntities('meter', 250)

  it('walks every item exactly once with nextToken, none on the last page', () => {
    const seen: string[] = []
    let token: string | undefined
    let pages = 0
    do {
      const query = new URLSearchParams({ pageSize: '100', ...(token ? { nextToken: token } : {}) })
      const result = paginate(meters, query)
      if (!result.ok) throw new Error(result.message)
      seen.push(...result.page.data.map((m) => m.id))
      token = result.page.nextToken
      pages++
    } while (token)
    expect(pages).toBe(3)
    expect(new Set(seen).size).toBe(250)
  })

  it('defaults to 10 per page and refuses bad pageSize or nextToken', () => {
    const first = paginate(meters, new URLSearchParams())
    expect(first.ok && first.page.data.length).toBe(10)
    for (const size of ['0', '101', '1.5', 'abc', ''])
      expect(paginate(meters, new URLSearchParams({ pageSize: size })).ok).toBe(false)
    for (const token of ['garbage', Buffer.from('o999').toString('base64url'), ''])
      expect(paginate(meters, new URLSearchParams({ nextToken: token })).ok).toBe(false)
  })
})
