import type { Exchange } from './exchange.ts'
import type { AnyFault } from './faults.ts'
import { issueRejectedToken, issueToken, type MockState } from './state.ts'

const HTML_PAGE =
  '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>' +
  '<p>The upstream server did not answer.</p></body></html>'

const MAX_SLOW_MS = 10_000

/**
 * Answers a request as the fault says. `normal` produces the endpoint's real answer, for faults that only
 * delay it (slow, hold).
 *
 * @example
 * ```ts
 * const fault = state.faults.take(origin)
 * if (fault) await answerWithFault(ex, fault, state, keyId, () => handleToken(ex, state))
 * ```
 */
export async function answerWithFault(
  ex: Exchange,
  fault: AnyFault,
  state: MockState,
  keyId: string,
  normal: () => void | Promise<void>,
): Promise<void> {
  switch (fault.kind) {
    case 'status': {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...fault.headers }
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter)
      return ex.reply(
        fault.status,
        fault.body ?? JSON.stringify({ message: `Injected status ${fault.status}` }),
        headers,
      )
    }
    case 'hang':
      ex.noAnswer()
      state.hanging.add(ex.res)
      ex.res.on('close', () => state.hanging.delete(ex.res))
      return
    case 'hold':
      await state.faults.hold()
      return normal()
    case 'drop':
      ex.noAnswer()
      ex.req.socket.destroy()
      return
    case 'slow':
      await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(0, fault.delayMs), MAX_SLOW_MS)))
      return normal()
    case 'html':
      return ex.reply(fault.status ?? 200, HTML_PAGE, { 'content-type': 'text/html; charset=utf-8' })
    case 'non-json':
      return ex.reply(fault.status ?? 200, 'this is {not json', { 'content-type': 'application/json' })
    case 'oversize': {
      const size = Math.max(65_537, fault.bytes ?? 70_000)
      const padding = 'x'.repeat(size)
      return ex.json(200, { token_type: 'Bearer', padding, expires_in: state.lifetimeSeconds })
    }
    case 'redirect':
      return ex.reply(fault.status ?? 302, '', { location: fault.location })
    case 'missing-access-token':
      return ex.json(200, { token_type: 'Bearer', expires_in: state.lifetimeSeconds })
    case 'token-type':
      return ex.json(200, {
        token_type: fault.tokenType ?? 'mac',
        access_token: issueToken(state, keyId),
        expires_in: state.lifetimeSeconds,
      })
    case 'expires-in': {
      const answer: Record<string, unknown> = { token_type: 'Bearer', access_token: issueToken(state, keyId) }
      if (fault.expiresIn !== 'missing') answer.expires_in = fault.expiresIn
      return ex.json(200, answer)
    }
    case 'rejected-token':
      return ex.json(200, {
        token_type: 'Bearer',
        access_token: issueRejectedToken(state, keyId),
        expires_in: state.lifetimeSeconds,
      })
  }
}
