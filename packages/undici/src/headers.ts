import type { Dispatcher } from 'undici'

type Headers = Dispatcher.DispatchOptions['headers']

/**
 * A copy of `headers` in the same shape with the bearer in place of any Authorization the caller set; the
 * caller's object is never written.
 *
 * @example
 * ```ts
 * opts.headers = withAuthorization(opts.headers, 'Bearer eyJ…') // { accept: 'application/json', authorization: 'Bearer eyJ…' }
 * ```
 */
export function withAuthorization(headers: Headers, value: string): NonNullable<Headers> {
  if (headers === null || headers === undefined) return { authorization: value }
  if (!Array.isArray(headers) && !isIterable(headers)) {
    const record: Record<string, string | string[] | undefined> = { authorization: value }
    for (const name in headers) if (!isAuthorization(name)) record[name] = headers[name]
    return record
  }
  // Flat [name, value, ...] lists: the one shape every undici major's redirect handler strips correctly.
  const flat: string[] = []
  for (const [name, v] of entries(headers)) {
    if (v === undefined || isAuthorization(name)) continue
    for (const one of Array.isArray(v) ? v : [v]) flat.push(name, one)
  }
  flat.push('authorization', value)
  return flat
}

/**
 * The value of one header (name in lower case) in any of undici's header shapes.
 *
 * @example
 * ```ts
 * const length = Number(headerIn(opts.headers, 'content-length')) || undefined
 * ```
 */
export function headerIn(headers: Headers, name: string): unknown {
  if (headers === null || headers === undefined) return undefined
  if (!Array.isArray(headers) && !isIterable(headers)) {
    for (const key in headers) if (key.toLowerCase() === name) return headers[key]
    return undefined
  }
  for (const [key, v] of entries(headers)) if (key.toLowerCase() === name) return v
  return undefined
}

type Pair = [string, string | string[] | undefined]

// undici takes arrays both flat ([name, value, ...]) and as [name, value] pairs, and iterables of pairs.
function* entries(list: Iterable<Pair> | readonly unknown[]): Generator<Pair> {
  if (!Array.isArray(list) || Array.isArray(list[0])) {
    yield* list as Iterable<Pair>
    return
  }
  for (let i = 0; i + 1 < list.length; i += 2) yield [String(list[i]), list[i + 1] as string]
}

function isIterable(value: object): value is Iterable<Pair> {
  return typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function'
}

function isAuthorization(name: unknown): boolean {
  return typeof name === 'string' && name.length === 13 && name.toLowerCase() === 'authorization'
}
