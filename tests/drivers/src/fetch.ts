import type { DriverBody } from '@m3ter-auth/testkit'
import type { DriveRequest, Driver } from './request.ts'

type Fetch = typeof globalThis.fetch

/**
 * Drives a fetch function (the wrapped one, or a plain one for a baseline): the request as a plain fetch
 * call. `Form`: the FormData class of the fetch's own realm (undici 8's fetch does not read Node's bundled
 * one).
 *
 * @example
 * ```ts
 * describeAdapterConformance('fetch', (auth) => fetchDriver(withM3terAuth(auth)))
 * ```
 */
export function fetchDriver(authedFetch: Fetch, Form: typeof FormData = FormData): Driver {
  return {
    async request(req: DriveRequest) {
      const init: RequestInit & { duplex?: 'half' } = { method: req.method }
      // The caller's own headers object goes in as it is: the adapter must not write to it.
      const contentType =
        req.body?.contentType ?? (req.body?.kind === 'json' ? 'application/json' : undefined)
      const headers = contentType ? { ...req.headers, 'content-type': contentType } : req.headers
      if (headers) init.headers = headers
      if (req.body) init.body = webBody(req.body, Form)
      if (req.body?.kind === 'stream') init.duplex = 'half'
      if (req.signal) init.signal = req.signal
      if (req.followRedirects === false) init.redirect = 'manual'
      const res = await authedFetch(req.url, init)
      const answerHeaders: Record<string, string> = {}
      res.headers.forEach((value, name) => {
        answerHeaders[name] = value
      })
      const body = await res.text()
      if (req.throwHttpErrors && res.status >= 400) throw new Error(`fetch answered ${res.status}`)
      return { status: res.status, headers: answerHeaders, body }
    },
    close: async () => {},
  }
}

/**
 * A suite body as a fetch body of its kind.
 *
 * @example
 * ```ts
 * await fetch(url, { method: 'POST', body: webBody({ kind: 'urlencoded', text: 'a=1' }) })
 * ```
 */
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

/**
 * A one-shot web stream, the body fetch cannot send twice.
 *
 * @example
 * ```ts
 * await fetch(url, { method: 'POST', body: textStream('once'), duplex: 'half' } as RequestInit)
 * ```
 */
export function textStream(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text))
      controller.close()
    },
  })
}
