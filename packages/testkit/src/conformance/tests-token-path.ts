import type { SuiteContext } from './context.ts'
import { listMeters } from './context.ts'

// Spellings of the token path that servers commonly route to the token endpoint.
const TOKEN_PATHS = ['/oauth/token', '/oauth/token/', '//oauth/token', '/OAUTH/TOKEN', '/oauth/%74oken']

/**
 * §4.5: the token endpoint never gets our bearer, whatever spelling of its path a request or a redirect hop
 * uses. A same-origin redirect keeps the Authorization header in every client, so each hop is checked.
 */
export function tokenPathTests({ test, harness, expect }: SuiteContext): void {
  for (const path of TOKEN_PATHS) {
    test('4.5', `a request to ${path} on the token endpoint's origin gets no bearer`, async () => {
      const h = await harness()
      await h.send({ method: 'GET', url: `${h.m3ter.apiUrl}${path}` })
      const sent = h.m3ter.log.filter((entry) => entry.method === 'GET' && entry.url === path)
      expect(sent).toHaveLength(1)
      expect(sent[0]?.headers.authorization).toBeUndefined()
      expect(h.m3ter.issuedTokens).toHaveLength(0)
    })

    for (const status of [302, 307] as const)
      test('4.5', `a same-origin ${status} redirect to ${path} carries no bearer there`, async () => {
        const h = await harness()
        expect((await h.send(listMeters(h))).status).toBe(200)
        h.m3ter.faults.inject('api', { kind: 'redirect', location: `${h.m3ter.apiUrl}${path}`, status })
        await h.send({ method: 'GET', url: h.api('/meters') })
        // GET: the provider's own token requests are POSTs.
        const hops = h.m3ter.log.filter((entry) => entry.method === 'GET' && entry.url === path)
        // Every client here follows redirects: a hop that was never made would prove nothing.
        expect(hops.length).toBeGreaterThan(0)
        for (const hop of hops) expect(hop.headers.authorization).toBeUndefined()
      })
  }
}
