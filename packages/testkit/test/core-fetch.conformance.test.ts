import { Readable } from 'node:stream'
import type { TokenProvider } from '@m3ter-auth/core'
import {
  BODY_GONE,
  bearerHeader,
  judgeAnswer,
  sendFollowingRedirects,
  shouldAuthorize,
} from '@m3ter-auth/core/internals'
import { type AdapterDriver, type DriverBody, describeAdapterConformance } from '../src/index.ts'

// The example to read before writing an adapter: core's request policy decides everything (whether to
// authorize, what an answer means); the adapter only sends, and sends once more when told 'retry'.
function coreFetchDriver(auth: TokenProvider): AdapterDriver {
  return {
    async request(req) {
      const headers = new Headers(req.headers)
      if (req.body?.contentType) headers.set('content-type', req.body.contentType)
      const signal = req.signal
      // Redirects are followed hop by hop, so none takes the bearer to the token endpoint.
      const follow = {
        url: req.url,
        carries: (hop: string) => shouldAuthorize(auth, hop),
        bodyAgain: () => (req.body ? (req.body.kind === 'stream' ? BODY_GONE : bodyOf(req.body)) : null),
      }
      const send = async (token: string | undefined) => {
        if (token) headers.set('authorization', bearerHeader(token))
        const init: RequestInit & { duplex?: 'half' } = { method: req.method, headers, duplex: 'half' }
        if (req.body) init.body = bodyOf(req.body)
        return sendFollowingRedirects(fetch, req.url, signal ? { ...init, signal } : init, follow)
      }
      const ours = shouldAuthorize(auth, req.url, headers.get('authorization'))
      let token = ours ? await auth.getToken({ signal }) : undefined
      let { response: res, answeredFrom: from } = await send(token)
      for (const retried of [false, true]) {
        const body = req.body?.kind === 'stream' ? Readable.from([]) : req.body?.text
        const answer = { method: req.method, url: req.url, status: res.status, token, answeredFrom: from }
        if (judgeAnswer(auth, { ...answer, body, retried }) !== 'retry') break
        await res.body?.cancel()
        token = await auth.getToken({ signal })
        ;({ response: res, answeredFrom: from } = await send(token))
      }
      return {
        status: res.status,
        headers: Object.fromEntries(res.headers as unknown as Iterable<[string, string]>),
        body: await res.text(),
      }
    },
  }
}

function bodyOf(body: DriverBody): BodyInit {
  if (body.kind === 'stream') return Readable.toWeb(Readable.from([Buffer.from(body.text)])) as ReadableStream
  if (body.kind === 'urlencoded') return new URLSearchParams(body.text)
  if (body.kind === 'bytes') return new TextEncoder().encode(body.text)
  if (body.kind !== 'form') return body.text
  const form = new FormData()
  for (const [name, value] of new URLSearchParams(body.text)) form.append(name, value)
  return form
}

describeAdapterConformance('core fetch path', coreFetchDriver)
