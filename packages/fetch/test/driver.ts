import type { AdapterDriver, DriverRequest } from '@m3ter-auth/testkit'

type Fetch = typeof globalThis.fetch

/** The conformance driver: the suite's request as a plain fetch call through the wrapped fetch. */
export function fetchDriver(authedFetch: Fetch): AdapterDriver {
  return {
    async request(req: DriverRequest) {
      const headers: Record<string, string> = { ...req.headers }
      if (req.body?.contentType) headers['content-type'] = req.body.contentType
      const init: RequestInit & { duplex?: 'half' } = { method: req.method, headers }
      if (req.body?.kind === 'text') init.body = req.body.text
      if (req.body?.kind === 'stream') {
        init.body = textStream(req.body.text)
        init.duplex = 'half'
      }
      if (req.signal) init.signal = req.signal
      const res = await authedFetch(req.url, init)
      const answerHeaders: Record<string, string> = {}
      res.headers.forEach((value, name) => {
        answerHeaders[name] = value
      })
      return { status: res.status, headers: answerHeaders, body: await res.text() }
    },
  }
}

/** A one-shot web stream, the body fetch cannot send twice. */
export function textStream(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text))
      controller.close()
    },
  })
}
