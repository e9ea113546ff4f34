import type { AdapterDriver, DriverRequest, DriverResponse } from '@m3ter-auth/testkit'

/**
 * A request as the conformance suite sends it, plus what the reliability suite and the benchmarks ask of
 * the client itself. Unset, both mean what the conformance suite expects: every status is an answer, and
 * redirects are followed.
 *
 * @example
 * ```ts
 * await driver.request({ method: 'GET', url, throwHttpErrors: true })
 * ```
 */
export interface DriveRequest extends DriverRequest {
  /**
   * Let the client turn a 4xx/5xx into its own error object (AxiosError, got's and ky's HTTPError, undici's
   * ResponseError; fetch has none, so an Error naming the status), as code that keeps the client's default
   * does. The leak checks want those objects, since they carry request options and headers.
   */
  readonly throwHttpErrors?: boolean
  /** Follow redirects (default true, the clients' own default). */
  readonly followRedirects?: boolean
}

/**
 * A real client, maybe with its adapter plugged in, driven by one request shape. Resolves with any status
 * unless `throwHttpErrors`; rejects when there is no answer.
 *
 * @example
 * ```ts
 * const driver: Driver = fetchDriver(withM3terAuth(auth))
 * const { status, body } = await driver.request({ method: 'GET', url })
 * await driver.close()
 * ```
 */
export interface Driver extends AdapterDriver {
  request(req: DriveRequest): Promise<DriverResponse>
  close(): Promise<void>
}
