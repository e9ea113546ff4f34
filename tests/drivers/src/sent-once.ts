import type { DriverBody, SuiteContext } from '@m3ter-auth/testkit/vitest'

/** The fields the conformance suite's replay tests send (its FIELDS), so the body can be checked intact. */
const FIELDS = 'greeting=h%C3%A9llo+%E2%9C%93&n=1&m=2'
const JSON_TEXT = JSON.stringify({ greeting: 'héllo ✓', n: [1, 2] })

/**
 * A conformance `differs` entry for a body kind a client sends only once (it turns the body into a one-shot
 * stream before the adapter sees it): the caller gets m3ter's 403 as it came, the body arrived intact that
 * one time, the rejected token is dropped all the same, so the next request carries a new token at once.
 *
 * @example
 * ```ts
 * describeAdapterConformance('got', makeDriver, {
 *   differs: { "§4.5 a 'form' body is retried after 403 and arrives intact": sentOnce('form') },
 * })
 * ```
 */
export function sentOnce(kind: Exclude<DriverBody['kind'], 'stream'>, contentType?: string) {
  return {
    instead: `a '${kind}' body is sent once: the caller gets the 403, the next request carries a new token`,
    async test({ harness, expect }: SuiteContext): Promise<void> {
      const h = await harness()
      const meters = { method: 'GET', url: h.api('/meters?pageSize=5') }
      expect((await h.send(meters)).status).toBe(200)
      h.m3ter.revokeAll()
      const text = kind === 'json' || kind === 'text' ? JSON_TEXT : FIELDS
      const body: DriverBody = { kind, text, ...(contentType ? { contentType } : {}) }
      const res = await h.send({ method: 'POST', url: h.api('/echo'), body })
      expect(res.status).toBe(403)
      const posts = h.apiLog().filter((entry) => entry.method === 'POST')
      expect(posts).toHaveLength(1)
      // FormData is multipart on the wire: its field value is what must have arrived intact.
      if (kind === 'form') expect(posts[0]?.body).toContain('héllo ✓')
      else if (kind === 'urlencoded' || kind === 'bytes') expect(posts[0]?.body).toBe(FIELDS)
      else expect(JSON.parse(posts[0]?.body ?? '')).toEqual(JSON.parse(JSON_TEXT))
      expect((await h.send(meters)).status).toBe(200)
      expect(h.m3ter.stats.tokenRequests).toBe(2)
      expect(h.apiLog().map((entry) => entry.status)).toEqual([200, 403, 200])
      expect(h.bearerOf(h.apiLog().at(-1)!)).toBe(h.m3ter.issuedTokens[1])
    },
  }
}
