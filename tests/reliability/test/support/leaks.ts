import { inspect } from 'node:util'
import type { MockM3ter } from '@m3ter-auth/testkit'

/**
 * Everything a user could print about a value: message and stack, JSON.stringify and util.inspect as
 * console.log shows it; `deep` adds `util.inspect` at depth 12 (`console.dir(err, { depth: 12 })`).
 */
export function render(value: unknown, deep = true): string {
  const parts: string[] = []
  if (value instanceof Error) parts.push(value.message, String(value.stack))
  try {
    parts.push(JSON.stringify(value) ?? '')
  } catch (error) {
    // Circular client errors (got's, undici's) cannot be stringified; users then log them with inspect.
    parts.push(`<JSON.stringify threw ${(error as Error).message}>`)
  }
  // What console.log shows, and what a deep `console.dir(err, { depth: 12 })` shows.
  parts.push(inspect(value))
  if (deep) parts.push(inspect(value, { depth: 12, maxArrayLength: 500, maxStringLength: 1e6 }))
  return parts.join('\n')
}

export type SecretKind = 'api secret' | 'basic value' | 'issued token'

export interface Hit {
  readonly where: string
  readonly kind: SecretKind
  /** What precedes the secret in the rendering, to tell where it sits (the secret itself is never shown). */
  readonly before: string
}

/**
 * Collects renderings of every object a test touches and scans them for the secrets of one mock: the API
 * secret of each key, the Basic header value sent to the token endpoint, and every token the mock issued
 * (including the unusable ones of token faults). Renderings are taken when touched, so later mutation of
 * an object cannot hide what it once showed.
 */
export class LeakScanner {
  readonly #samples: Array<{ where: string; text: string }> = []
  readonly #mocks: MockM3ter[] = []
  readonly #tokens = new Set<string>()

  watch(m3ter: MockM3ter): void {
    this.#mocks.push(m3ter)
  }

  touch(where: string, value: unknown, deep = true): void {
    this.#samples.push({ where, text: typeof value === 'string' ? value : render(value, deep) })
  }

  /** Issued tokens are copied before a mock reset forgets them. */
  rememberTokens(): void {
    for (const m3ter of this.#mocks) for (const token of m3ter.issuedTokens) this.#tokens.add(token)
  }

  secrets(): Array<{ kind: SecretKind; value: string }> {
    this.rememberTokens()
    const out: Array<{ kind: SecretKind; value: string }> = []
    for (const m3ter of this.#mocks) {
      for (const key of m3ter.keys) {
        out.push({ kind: 'api secret', value: key.apiSecret })
        out.push({ kind: 'basic value', value: basicValue(key) })
      }
    }
    for (const token of this.#tokens) {
      out.push({ kind: 'issued token', value: token })
      // A JWT's signature alone is as good as a fingerprint of the token; a truncated token must not slip by.
      const signature = token.split('.')[2]
      if (signature && signature.length >= 16) out.push({ kind: 'issued token', value: signature })
    }
    return out
  }

  /** Every (sample, secret) hit; `only` limits the scan to samples whose label starts with it. */
  scan(only?: string): Hit[] {
    const secrets = this.secrets()
    const hits: Hit[] = []
    for (const sample of this.#samples) {
      if (only !== undefined && !sample.where.startsWith(only)) continue
      for (const secret of secrets) {
        const at = sample.text.indexOf(secret.value)
        if (at >= 0) {
          const before = sample.text
            .slice(Math.max(0, at - Number(process.env.LEAK_CONTEXT ?? 80)), at)
            .replace(/\s+/g, ' ')
          hits.push({ where: sample.where, kind: secret.kind, before })
        }
      }
    }
    return dedupe(hits)
  }

  get sampleCount(): number {
    return this.#samples.length
  }
}

export function basicValue(key: { accessKeyId: string; apiSecret: string }): string {
  return Buffer.from(`${key.accessKeyId}:${key.apiSecret}`, 'utf8').toString('base64')
}

function dedupe(hits: Hit[]): Hit[] {
  const seen = new Set<string>()
  return hits.filter((hit) => {
    const id = `${hit.where}|${hit.kind}`
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

/**
 * Records every console call (and process warnings) instead of printing it, so log lines can be scanned
 * (and the suite's output stays readable). Returns the lines and a function that puts the console back.
 */
export function captureConsole(): { lines: string[]; restore(): void } {
  const lines: string[] = []
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir'] as const
  const originals = methods.map((name) => [name, console[name]] as const)
  for (const [name] of originals) {
    console[name] = (...args: unknown[]) => {
      lines.push(args.map((arg) => (typeof arg === 'string' ? arg : render(arg))).join(' '))
    }
  }
  const onWarning = (warning: Error) => lines.push(render(warning))
  process.on('warning', onWarning)
  return {
    lines,
    restore() {
      for (const [name, original] of originals) console[name] = original as never
      process.off('warning', onWarning)
    },
  }
}
