import type { Prng } from './prng.ts'
import type { VirtualTime } from './virtual-time.ts'

/** A token the model issued: when (true time) and until when it is good. */
export interface Issued {
  readonly token: string
  readonly member: string
  readonly issuedAt: number
  readonly expiresAt: number
}

/** What the endpoint does over time; the world changes it as the scenario says. */
export interface EndpointBehaviour {
  /** Latency of an answer, in ms of true time: [min, max]. */
  latencyMs: readonly [number, number]
  /** While true, every request gets a 503 or a 429 (with Retry-After). */
  outage: boolean
}

/**
 * A model of m3ter's token endpoint for the simulation: Basic credentials checked against the one
 * Service User's key, tokens of `lifetimeSeconds` issued when the answer leaves (a request aborted
 * before gets nothing), outages answering 5xx/429, and revocations of every token issued so far. Each
 * member gets its own `fetch` so that requests are counted per member.
 */
export interface EndpointModel {
  readonly behaviour: EndpointBehaviour
  fetchFor(member: string): typeof globalThis.fetch
  /** True expiry of a token the model issued; undefined for anything else. */
  issued(token: string): Issued | undefined
  isRevoked(token: string): boolean
  revokeAll(): void
  /** Tokens issued (successful answers), in order. */
  readonly tokens: readonly Issued[]
  /** Requests received, answered or not. */
  requests(): number
  revocations(): number
}

export const TOKEN_URL = 'https://api.m3ter.test/oauth/token'

export function createEndpointModel(
  time: VirtualTime,
  prng: Prng,
  key: { readonly accessKeyId: string; readonly apiSecret: string },
  lifetimeSeconds: number,
): EndpointModel {
  const behaviour: EndpointBehaviour = { latencyMs: [0, 5_000], outage: false }
  const tokens: Issued[] = []
  const byToken = new Map<string, Issued>()
  const revoked = new Set<string>()
  let requests = 0
  let revocations = 0
  const expected = `Basic ${Buffer.from(`${key.accessKeyId}:${key.apiSecret}`).toString('base64')}`
  const answer = (member: string, authorization: string | undefined): Response => {
    if (authorization !== expected) return json(401, { message: 'Unauthorized' })
    if (behaviour.outage)
      return prng.chance(0.5)
        ? json(429, { message: 'Too Many Requests' }, { 'retry-after': String(prng.int(1, 30)) })
        : json(503, { message: 'Service Unavailable' })
    const issued = {
      token: `tok-${tokens.length + 1}.sim`,
      member,
      issuedAt: time.now(),
      expiresAt: time.now() + lifetimeSeconds * 1000,
    }
    tokens.push(issued)
    byToken.set(issued.token, issued)
    return json(200, { token_type: 'Bearer', access_token: issued.token, expires_in: lifetimeSeconds })
  }
  return {
    behaviour,
    fetchFor: (member) => (_input, init) => {
      requests++
      const headers = (init?.headers ?? {}) as Record<string, string>
      const latency = prng.int(...behaviour.latencyMs)
      const signal = init?.signal
      return new Promise<Response>((resolve, reject) => {
        const aborted = () => reject(new DOMException('aborted', 'AbortError'))
        signal?.addEventListener('abort', aborted, { once: true })
        time.at(time.now() + latency, () => {
          signal?.removeEventListener('abort', aborted)
          if (signal?.aborted) return
          resolve(answer(member, headers.authorization))
        })
      })
    },
    issued: (token) => byToken.get(token),
    isRevoked: (token) => revoked.has(token),
    revokeAll() {
      revocations++
      for (const { token } of tokens) revoked.add(token)
    },
    tokens,
    requests: () => requests,
    revocations: () => revocations,
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })
}
