import { randomBytes, randomUUID } from 'node:crypto'

/**
 * A Service User access key as the mock holds it.
 *
 * @example
 * ```ts
 * const [key]: readonly MockAccessKey[] = m3ter.keys
 * const auth = createTokenProvider({ credentials: key!, tokenUrl: m3ter.tokenUrl, scope: [m3ter.apiUrl] })
 * ```
 */
export interface MockAccessKey {
  readonly accessKeyId: string
  readonly apiSecret: string
  readonly active: boolean
}

/**
 * What a caller may give to add a key; anything missing is generated.
 *
 * @example
 * ```ts
 * const m3ter = await startMockM3ter({ keys: [{ accessKeyId: 'old' }, { accessKeyId: 'new', active: false }] })
 * ```
 */
export interface AccessKeyInput {
  readonly accessKeyId?: string
  readonly apiSecret?: string
  readonly active?: boolean
}

/**
 * m3ter lets a Service User hold at most two access keys at once.
 *
 * @example
 * ```ts
 * while (m3ter.keys.length < MAX_KEYS) m3ter.addKey()
 * ```
 */
export const MAX_KEYS = 2

/**
 * A fresh key, shaped like m3ter's (a UUID id and a long random secret).
 *
 * @example
 * ```ts
 * const key = generateAccessKey()
 * const m3ter = await startMockM3ter({ keys: [key] })
 * ```
 */
export function generateAccessKey(): MockAccessKey {
  return { accessKeyId: randomUUID(), apiSecret: randomBytes(24).toString('base64url'), active: true }
}

/**
 * The keys of the mock's one Service User, with m3ter's two-key limit.
 *
 * @example
 * ```ts
 * const keys = new KeyRing(options.keys)
 * const { previous, next } = keys.rotate()
 * ```
 */
export class KeyRing {
  #keys: MockAccessKey[] = []

  constructor(initial: readonly AccessKeyInput[] | undefined) {
    for (const key of initial ?? [{}]) this.add(key)
  }

  list(): readonly MockAccessKey[] {
    return this.#keys.map((key) => ({ ...key }))
  }

  find(accessKeyId: string): MockAccessKey | undefined {
    return this.#keys.find((key) => key.accessKeyId === accessKeyId)
  }

  add(input: AccessKeyInput = {}): MockAccessKey {
    if (this.#keys.length >= MAX_KEYS)
      throw new Error(`m3ter allows at most ${MAX_KEYS} access keys per Service User; remove one first`)
    const generated = generateAccessKey()
    const key: MockAccessKey = {
      accessKeyId: input.accessKeyId ?? generated.accessKeyId,
      apiSecret: input.apiSecret ?? generated.apiSecret,
      active: input.active ?? true,
    }
    if (this.find(key.accessKeyId)) throw new Error(`access key ${key.accessKeyId} exists already`)
    this.#keys.push(key)
    return { ...key }
  }

  remove(accessKeyId: string): boolean {
    const before = this.#keys.length
    this.#keys = this.#keys.filter((key) => key.accessKeyId !== accessKeyId)
    return this.#keys.length !== before
  }

  setActive(accessKeyId: string, active: boolean): void {
    const index = this.#keys.findIndex((key) => key.accessKeyId === accessKeyId)
    const key = this.#keys[index]
    if (!key) throw new Error(`unknown access key ${accessKeyId}`)
    this.#keys[index] = { ...key, active }
  }

  /** m3ter's rotation: make room (drop inactive keys, then the oldest), add a key, retire the previous. */
  rotate(): { previous: MockAccessKey | undefined; next: MockAccessKey } {
    this.#keys = this.#keys.filter((key) => key.active)
    while (this.#keys.length >= MAX_KEYS) this.#keys.shift()
    const previous = this.#keys[0]
    const next = this.add()
    if (previous) this.setActive(previous.accessKeyId, false)
    return { previous: previous ? { ...previous, active: false } : undefined, next }
  }
}
