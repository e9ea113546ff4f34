import type { TokenProvider } from '@m3ter-auth/core'
import type { UndiciDriverOptions } from '@m3ter-auth/drivers'
import { m3terAuthInterceptor } from '@m3ter-auth/undici'

/**
 * The drivers' options that plug this adapter in: its interceptor for the provider.
 *
 * @example
 * ```ts
 * describeAdapterConformance('undici 7 request()', (auth) => undiciDriver(undici, withAdapter(auth)))
 * ```
 */
export function withAdapter(auth: TokenProvider): UndiciDriverOptions {
  return { interceptor: () => m3terAuthInterceptor(auth) }
}

/**
 * Shared rules undici's fetch() path cannot keep, with why. undici's fetch hands every request body to the
 * dispatcher as a stream (sent once; retrying fetch bodies is the job of @m3ter-auth/fetch wrapped around
 * undici's fetch, which sees the body before it becomes a stream), and follows redirects itself, each hop a
 * new dispatch with a new handler that the interceptor cannot tell from a new request. An oversize ingest
 * body is still sent once there, but its size is unknown to the dispatcher, so its 403 drops the token.
 */
export const FETCH_PATH_SKIPS: readonly string[] = [
  ...['text', 'json', 'urlencoded', 'bytes', 'form'].map((kind) =>
    kind === 'text'
      ? "§4.5 a 'text' body POST is retried after 403 and arrives intact"
      : `§4.5 a '${kind}' body is retried after 403 and arrives intact`,
  ),
  '§4.5 a 403 from the target of a redirect (which never saw the bearer) is not a rejection',
  '§4.6 a 302 redirect to the other in-scope origin carries no bearer there',
  '§4.6 a 307 redirect to the other in-scope origin carries no bearer there',
  '§4.5 an ingest body of 512,000 bytes or more answered 403 is never sent twice',
  // A POST body again: the first submit after the revocation cannot be retried on this path.
  '§4.5 a forbidden call, then a revocation, then usage submits: every submit succeeds, one new token',
]
