import { describe, expect, it } from 'vitest'
import { bodyBytes, canSendTwice, MAX_BODY_BYTES } from './body-size.ts'

// The edges of the body size that a one-character change to body-size.ts would move without its own tests
// noticing (found by mutation testing, issue 28). FormData is compared with what fetch really writes for it.

// RFC 2046's longest boundary, which the count assumes whichever boundary the client draws.
const LONGEST_BOUNDARY = 70

/** The bytes fetch writes for `form`, plus what a 70-character boundary would add to each delimiter. */
async function encodedWithLongestBoundary(form: FormData): Promise<number> {
  const response = new Response(form)
  const boundary = /boundary=(.+)$/.exec(response.headers.get('content-type') ?? '')?.[1] ?? ''
  expect(boundary).not.toBe('')
  const bytes = (await response.arrayBuffer()).byteLength
  let delimiters = 1 // the closing one
  form.forEach(() => {
    delimiters++
  })
  return bytes + delimiters * (LONGEST_BOUNDARY - boundary.length)
}

const formOf = (...parts: Array<[string, string | Blob, string?]>) => {
  const form = new FormData()
  for (const [name, value, fileName] of parts)
    if (typeof value === 'string') form.append(name, value)
    else if (fileName === undefined) form.append(name, value)
    else form.append(name, value, fileName)
  return form
}

describe('a FormData', () => {
  it('is counted exactly as fetch encodes it (for the longest boundary): names, text, line breaks, files', async () => {
    const forms = [
      formOf(),
      formOf(['measurements-of-the-day', 'value'], ['ünïcødé', 'é€🎉']),
      // A lone LF or CR in a value is written as CRLF.
      formOf(['lines', 'a\nb\rc\nd']),
      formOf(['file', new Blob(['héllo'], { type: 'text/plain; charset=utf-8' }), 'résumé-du-jour.txt']),
      formOf(['file', new File(['{"a":1}'], 'usage.json', { type: 'application/json' })]),
      // A Blob is sent as a file named `blob`; no type is sent as application/octet-stream.
      formOf(['data', new Blob([new Uint8Array(1000)])]),
    ]
    for (const form of forms) expect(bodyBytes(form)).toBe(await encodedWithLongestBoundary(form))
  })

  it('is never counted under its encoding where clients escape differently, and at most a few bytes over', async () => {
    const forms = [
      formOf(['na"me', 'x']),
      formOf(['two\r\nlines', 'x']),
      formOf(['x', 'crlf\r\nkept']),
      formOf(['file', new Blob(['x']), 'quo"te\nand-line.txt']),
      // An empty file name is not written at all.
      formOf(['file', new Blob(['x']), '']),
    ]
    for (const form of forms) {
      const over = (bodyBytes(form) ?? 0) - (await encodedWithLongestBoundary(form))
      expect(over).toBeGreaterThanOrEqual(0)
      expect(over).toBeLessThanOrEqual('; filename=""'.length)
    }
  })

  it('of another implementation that hands out a plain Blob is counted as if the Blob were a file named blob', () => {
    // What a FormData does with a Blob: makes it a File named `blob`.
    const standard = formOf(['data', new Blob(['abc'], { type: 'text/plain' })])
    const blobEntries = {
      [Symbol.toStringTag]: 'FormData',
      forEach(each: (value: Blob, name: string) => void) {
        each(new Blob(['abc'], { type: 'text/plain' }), 'data')
      },
    }
    expect(bodyBytes(blobEntries)).toBe(bodyBytes(standard))
  })
})

describe('other bodies', () => {
  it('counts a File and a Blob by their size, a short string in UTF-8 bytes', () => {
    expect(bodyBytes(new File(['héllo'], 'greeting.txt'))).toBe(6)
    expect(bodyBytes(new Blob(['héllo']))).toBe(6)
    expect(bodyBytes('é')).toBe(2)
    expect(bodyBytes('€ and 🎉')).toBe(3 + 5 + 4)
  })

  it('sends twice a body one byte under the limit, not one at the limit nor a body of unknown size', () => {
    expect(canSendTwice(new Uint8Array(MAX_BODY_BYTES - 1))).toBe(true)
    expect(canSendTwice(new Uint8Array(MAX_BODY_BYTES))).toBe(false)
    expect(canSendTwice('{"a":1}')).toBe(true)
    expect(canSendTwice(undefined)).toBe(true)
    expect(canSendTwice(new ReadableStream())).toBe(false)
  })
})
