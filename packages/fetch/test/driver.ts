import type { AdapterDriver, DriverBody, DriverRequest } from '@m3ter-auth/testkit'

type Fetch = typeof globalThis.fetch

/** The conformance driver: the suite's request as a plain fetch call through the wrapped fetch. */
/** `Form`: the FormData class of the fetch's own realm (undici 8's fetch does not read Node's bundled one). */
export function fetchDriver(authedFetch: Fetch, Form: typeof FormData = FormData): AdapterDriver {
  return {
    async request(req: DriverRequest) {
      const init: RequestInit & { duplex?: 'half' } = { method: req.method }
      // The caller's own headers object goes in as it is: the adapter must not write to it.
      const contentType =
        req.body?.contentType ?? (req.body?.kind === 'json' ? 'application/json' : undefined)
      const headers = contentType ? { ...req.headers, 'content-type': contentType } : req.headers
      if (headers) init.headers = headers
      if (req.body) init.body = webBody(req.body, Form)
      if (req.body?.kind === 'stream') init.duplex = 'half'
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

/** A suite body as a fetch body of its kind. */
export function webBody(body: DriverBody, Form: typeof FormData = FormData): BodyInit {
  switch (body.kind) {
    case 'urlencoded':
      return new URLSearchParams(body.text)
    case 'bytes':
      return new TextEncoder().encode(body.text)
    case 'form': {
      const form = new Form()
      for (const [name, value] of new URLSearchParams(body.text)) form.append(name, value)
      return form
    }
    case 'stream':
      return textStream(body.text)
    default:
      return body.text
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
