import type { M3terAuthEvent, TokenProvider, TokenStatus } from '@m3ter-auth/core'
import { M3terAuthError } from '@m3ter-auth/core'
import {
  type Attributes,
  type BatchObservableCallback,
  type MeterProvider,
  metrics,
  type TracerProvider,
  trace,
} from '@opentelemetry/api'
import { version } from '../package.json'
import { ATTRIBUTES, METRICS } from './names.ts'
import { outcomeOf, refreshReasonOf } from './outcome.ts'
import { tokenRequestSpans } from './spans.ts'

/** The instrumentation scope: the package, so users can filter on it in views. */
const SCOPE = '@m3ter-auth/otel'
// The package's own version, as published: the build inlines this one field of package.json (a hand-written
// copy said 0.1.0 while the package was 0.0.0).
const VERSION = version

// Seconds, as the HTTP client duration of the semantic conventions buckets them. The wait histogram adds a
// bucket at 0: most waits are none at all, and that is what an operator wants to see.
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
const STATUSES: readonly TokenStatus[] = [
  'empty',
  'fetching',
  'fresh',
  'refreshing',
  'backoff',
  'failed',
  'closed',
]

// Each metric's description and unit, as its instrument is created with them.
const DESCRIBED: Record<keyof typeof METRICS, readonly [description: string, unit: string]> = {
  tokenRequests: ['Token requests by outcome', '{request}'],
  tokenRequestDuration: ['Duration of token requests', 's'],
  refreshes: ['Token refreshes started, by reason', '{refresh}'],
  rejections: ['Tokens rejected by the API, by whether the rejection led to a refresh', '{rejection}'],
  waitDuration: ['Time a getToken caller that had to wait waited for a token', 's'],
  demands: ['getToken calls, by whether they waited (waited=false is the hot path)', '{call}'],
  timeToExpiry: ['Time until the current token expires', 's'],
  status: ["1 for the token provider's current status, 0 for the others", '1'],
}

// The arguments an instrument is created with: its name and options (histograms add their buckets).
function instrument(key: keyof typeof METRICS, buckets?: number[]) {
  const [description, unit] = DESCRIBED[key]
  const options =
    buckets === undefined
      ? { description, unit }
      : { description, unit, advice: { explicitBucketBoundaries: buckets } }
  return [METRICS[key], options] as const
}

/**
 * Options of {@link instrumentM3terAuth}.
 *
 * @example
 * ```ts
 * instrumentM3terAuth(auth, { meterProvider, tracerProvider, name: 'billing-service-user' })
 * ```
 */
export interface M3terAuthInstrumentationOptions {
  /** Default: the global one (`metrics.getMeterProvider()`), whatever SDK the application registered. */
  readonly meterProvider?: MeterProvider
  /** Default: the global one (`trace.getTracerProvider()`). */
  readonly tracerProvider?: TracerProvider
  /** Put on every point and span as `m3ter_auth.provider.name`, to tell providers (Service Users) apart. */
  readonly name?: string
  /**
   * The m3ter organisation this provider serves (a member of `createTokenPool`), put on every point and span
   * as `m3ter_auth.organization.id`. Off by default: every organisation is then a time series of its own,
   * which only a pool of a bounded number of organisations should pay for.
   */
  readonly orgId?: string
  /** The provider's clock, if it was given one: time to expiry is measured on it. Default `Date.now`. */
  readonly clock?: { now(): number }
}

/**
 * Records OpenTelemetry metrics and spans for a token provider, from its events: token requests by
 * outcome and their duration, refreshes by reason, rejections by the API, how long callers waited, time to
 * expiry and status; and a span per token request. Nothing is recorded on `getToken`'s hot path: calls
 * served at once are counted by the provider and read at collection time. Records no secret, no token
 * and no key id. Returns the function that stops it.
 *
 * @example
 * ```ts
 * import { createTokenProvider } from '@m3ter-auth/core'
 * import { instrumentM3terAuth } from '@m3ter-auth/otel'
 *
 * const auth = createTokenProvider()
 * const stop = instrumentM3terAuth(auth, { name: 'billing' }) // the global meter and tracer providers
 * // ... at shutdown
 * stop()
 *
 * // A pool's members, each with its organisation as an attribute (opt-in: a time series per organisation).
 * const stops = new Map<string, () => void>()
 * const pool = createTokenPool({
 *   credentialsFor,
 *   onEvent: async (e) => {
 *     if (e.type === 'pool_member_added') {
 *       const member = await pool.for(e.orgId)
 *       if (member) stops.set(e.orgId, instrumentM3terAuth(member, { orgId: e.orgId }))
 *     }
 *     if (e.type === 'pool_member_evicted') stops.get(e.orgId)?.()
 *   },
 * })
 * ```
 */
export function instrumentM3terAuth(
  auth: TokenProvider,
  options: M3terAuthInstrumentationOptions = {},
): () => void {
  if (typeof auth?.subscribe !== 'function' || typeof auth.snapshot !== 'function')
    throw new M3terAuthError(
      'invalid_options',
      'instrumentM3terAuth: auth must be a token provider from createTokenProvider (with subscribe and snapshot)',
    )
  if (options.name !== undefined && typeof options.name !== 'string')
    throw new M3terAuthError('invalid_options', 'instrumentM3terAuth: name must be a string')
  if (options.orgId !== undefined && (typeof options.orgId !== 'string' || !options.orgId))
    throw new M3terAuthError('invalid_options', 'instrumentM3terAuth: orgId must be a non-empty string')
  const common: Attributes = {
    ...(options.name !== undefined && { [ATTRIBUTES.providerName]: options.name }),
    ...(options.orgId !== undefined && { [ATTRIBUTES.orgId]: options.orgId }),
  }
  const with_ = (attributes: Attributes): Attributes => ({ ...common, ...attributes })
  const clock = options.clock ?? Date
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE, VERSION)
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE, VERSION)
  const spans = tokenRequestSpans(tracer, common)

  const requests = meter.createCounter(...instrument('tokenRequests'))
  const requestDuration = meter.createHistogram(...instrument('tokenRequestDuration', DURATION_BUCKETS))
  const refreshes = meter.createCounter(...instrument('refreshes'))
  const rejections = meter.createCounter(...instrument('rejections'))
  const waits = meter.createHistogram(...instrument('waitDuration', [0, ...DURATION_BUCKETS]))
  const demands = meter.createObservableCounter(...instrument('demands'))
  const timeToExpiry = meter.createObservableGauge(...instrument('timeToExpiry'))
  const status = meter.createObservableGauge(...instrument('status'))

  let startedAt: number | undefined
  let waited = 0

  // One request ended: its counter, its duration and its span, with the same attributes. Values with many
  // possible values (the backoff delay) go on the span only: on a metric each would be a new time series.
  function requestEnded(
    at: number,
    attributes: Attributes,
    errorCode?: string,
    spanOnly: Attributes = {},
  ): void {
    const all = with_(attributes)
    requests.add(1, all)
    if (startedAt !== undefined) requestDuration.record((at - startedAt) / 1000, all)
    startedAt = undefined
    spans.ended(at, { ...attributes, ...spanOnly }, errorCode)
  }

  function onEvent(event: M3terAuthEvent): void {
    switch (event.type) {
      case 'fetch_started': {
        if (startedAt !== undefined) requestEnded(event.at, { [ATTRIBUTES.outcome]: 'abandoned' })
        const reason = refreshReasonOf(event.reason)
        if (reason) refreshes.add(1, with_({ [ATTRIBUTES.reason]: reason }))
        startedAt = event.at
        spans.started(event)
        break
      }
      case 'token_fetched':
        requestEnded(event.at, {
          [ATTRIBUTES.outcome]: 'ok',
          [ATTRIBUTES.source]: event.source ?? 'endpoint',
        })
        break
      case 'refresh_failed':
        requestEnded(
          event.at,
          {
            [ATTRIBUTES.outcome]: outcomeOf(event.code),
            [ATTRIBUTES.errorType]: event.code,
            ...(event.status === undefined ? {} : { [ATTRIBUTES.httpStatus]: event.status }),
          },
          event.code,
          event.retryInMs === undefined ? {} : { [ATTRIBUTES.retryDelay]: event.retryInMs / 1000 },
        )
        break
      case 'credentials_rejected':
        requestEnded(
          event.at,
          {
            [ATTRIBUTES.outcome]: 'invalid_credentials',
            [ATTRIBUTES.errorType]: 'invalid_credentials',
            ...(event.status === undefined ? {} : { [ATTRIBUTES.httpStatus]: event.status }),
          },
          'invalid_credentials',
        )
        break
      case 'token_invalidated':
        rejections.add(1, with_({ [ATTRIBUTES.refreshed]: true }))
        spans.rejected()
        break
      case 'invalidate_ignored':
        rejections.add(1, with_({ [ATTRIBUTES.refreshed]: false }))
        break
      case 'token_waited':
        waited++
        waits.record(
          event.waitedMs / 1000,
          with_({ [ATTRIBUTES.outcome]: event.outcome === 'token' ? 'ok' : outcomeOf(event.outcome) }),
        )
        break
    }
  }

  const observe: BatchObservableCallback = (result) => {
    const snapshot = auth.snapshot()
    result.observe(demands, snapshot.servedAtOnce ?? 0, with_({ [ATTRIBUTES.waited]: false }))
    result.observe(demands, waited, with_({ [ATTRIBUTES.waited]: true }))
    if (snapshot.expiresAt !== undefined)
      result.observe(timeToExpiry, Math.max(0, (snapshot.expiresAt - clock.now()) / 1000), common)
    for (const each of STATUSES)
      result.observe(status, each === snapshot.status ? 1 : 0, with_({ [ATTRIBUTES.status]: each }))
  }
  const observables = [demands, timeToExpiry, status]
  meter.addBatchObservableCallback(observe, observables)
  const unsubscribe = auth.subscribe(onEvent)

  return () => {
    unsubscribe()
    meter.removeBatchObservableCallback(observe, observables)
    if (startedAt !== undefined) requestEnded(clock.now(), { [ATTRIBUTES.outcome]: 'abandoned' })
  }
}
