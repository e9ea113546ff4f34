import type { M3terAuthEvent } from '@m3ter-auth/core'
import {
  type Attributes,
  context,
  isSpanContextValid,
  type Link,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { ATTRIBUTES, TOKEN_REQUEST_SPAN } from './names.ts'

type Started = Extract<M3terAuthEvent, { type: 'fetch_started' }>

/**
 * One span per token request. A provider has at most one request in flight, so one open span is enough;
 * a new request while one is open means the old one was abandoned (new credentials, a lost request).
 *
 * A token request is shared by every caller that needed it, so it is a root span *linked* to its causes
 * rather than a child of one: the span that was active when the refresh started (the request that found no
 * fresh token), and for a refresh after a rejection also the span of the request the API rejected. Retries
 * link to the first attempt of their refresh and to its causes.
 *
 * @example
 * ```ts
 * const spans = tokenRequestSpans(tracer, { [ATTRIBUTES.providerName]: 'billing' })
 * auth.subscribe((event) => {
 *   if (event.type === 'fetch_started') spans.started(event)
 *   if (event.type === 'token_fetched') spans.ended(event.at, { [ATTRIBUTES.outcome]: 'ok' })
 * })
 * ```
 */
export function tokenRequestSpans(tracer: Tracer, common: Attributes) {
  let open: Span | undefined
  let round: Link[] = []
  let rejectedBy: SpanContext | undefined

  const activeSpanContext = (): SpanContext | undefined => {
    const active = trace.getSpanContext(context.active())
    return active && isSpanContextValid(active) ? active : undefined
  }

  function causes(reason: Started['reason']): Link[] {
    const links: Link[] = []
    const active = activeSpanContext()
    if (active) links.push({ context: active, attributes: { 'm3ter_auth.link': 'demand' } })
    if (reason === 'invalidated' && rejectedBy && rejectedBy.spanId !== active?.spanId)
      links.push({ context: rejectedBy, attributes: { 'm3ter_auth.link': 'rejected' } })
    rejectedBy = undefined
    return links
  }

  function ended(at: number, attributes: Attributes, errorCode?: string): void {
    if (!open) return
    open.setAttributes(attributes)
    if (errorCode) open.setStatus({ code: SpanStatusCode.ERROR, message: errorCode })
    open.end(at)
    open = undefined
  }

  return {
    started(event: Started): void {
      ended(event.at, { [ATTRIBUTES.outcome]: 'abandoned' })
      const retry = event.reason === 'retry'
      const links = retry ? round : causes(event.reason)
      open = tracer.startSpan(
        TOKEN_REQUEST_SPAN,
        {
          kind: SpanKind.CLIENT,
          root: true,
          startTime: event.at,
          links,
          attributes: {
            ...common,
            [ATTRIBUTES.reason]: event.reason,
            [ATTRIBUTES.attempt]: event.attempt,
            ...(event.keyIndex === undefined ? {} : { [ATTRIBUTES.keySlot]: event.keyIndex }),
          },
        },
        context.active(),
      )
      if (!retry)
        round = [
          ...links,
          { context: open.spanContext(), attributes: { 'm3ter_auth.link': 'first_attempt' } },
        ]
    },
    ended,
    /** The API rejected the current token: the request active now is a cause of the refresh to come. */
    rejected(): void {
      rejectedBy = activeSpanContext()
    },
  }
}
