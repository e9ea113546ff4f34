import { describe, expect, it } from 'vitest'
import { bodyBytes, canSendTwice, MAX_BODY_BYTES } from './body-size.ts'

// What fetch really writes for a FormData: its multipart encoding, boundary and part headers included.
const wireBytes = async (form: FormData) => (await new Response(form).arrayBuffer()).byteLength

const formOf = (...parts: Array<[string, string | Blob, string?]>) => {
  const form = new FormData()
  for (const [name, value, fileName] of parts)
    if (typeof value === 'string') form.append(name, value)
    else form.append(name, value, fileName)
  return form
}

describe('body size', () => {
  it('counts a FormData of multi-byte text in encoded bytes: 600,000 bytes of é are not 300,000', async () => {
    const form = formOf(['measurements', 'é'.repeat(300_000)])
    const wire = await wireBytes(form)
    expect(wire).toBeGreaterThan(600_000)
    expect(bodyBytes(form)).toBeGreaterThanOrEqual(wire)
    expect(canSendTwice(form)).toBe(false)
  })

  it('never counts a FormData below its encoding, and stays within a part header of it', async () => {
    const forms = [
      formOf(),
      formOf(['a', 'b']),
      formOf(['näme "quoted"\r\n', 'line\nbreaks\rand\r\nmore ✓']),
      formOf(['file', new Blob(['héllo'], { type: 'text/plain; charset=utf-8' }), 'résumé.txt']),
      formOf(['blob', new Blob([new Uint8Array(1000)])], ['x', '🎉'.repeat(100)]),
    ]
    for (const form of forms) {
      const wire = await wireBytes(form)
      const counted = bodyBytes(form) ?? 0
      expect(counted).toBeGreaterThanOrEqual(wire)
      let parts = 1
      form.forEach(() => {
        parts++
      })
      expect(counted - wire).toBeLessThan(parts * 100)
    }
  })

  it('sends a FormData twice only when its encoding is under the limit', () => {
    // Just under in characters, over once the part's header and boundary are counted.
    const ascii = formOf(['a', 'x'.repeat(MAX_BODY_BYTES - 50)])
    expect(canSendTwice(ascii)).toBe(false)
    expect(canSendTwice(formOf(['a', 'x'.repeat(MAX_BODY_BYTES - 500)]))).toBe(true)
  })

  it('counts strings in UTF-8 and knows what cannot be sent twice', () => {
    expect(bodyBytes('é'.repeat(MAX_BODY_BYTES / 2))).toBe(MAX_BODY_BYTES)
    expect(bodyBytes(new URLSearchParams({ a: 'é' }))).toBe('a=%C3%A9'.length)
    expect(bodyBytes(new ReadableStream())).toBeUndefined()
    expect(bodyBytes(null)).toBe(0)
  })
})
