import { randomUUID } from 'node:crypto'
import { type Entity, paginate } from './fixtures.ts'
import { asObject, codeProblem, fieldCodeProblem, textProblem } from './validate.ts'

/**
 * The config entities the mock keeps: meters and accounts.
 *
 * @example
 * ```ts
 * const meters = new EntityStore('meters', generateEntities('meter', 250), now)
 * ```
 */
export type EntityKind = 'meters' | 'accounts'

/**
 * A config entity as m3ter answers it: id, version, code, name, audit fields and the kind's own fields.
 *
 * @example
 * ```ts
 * const created: StoredEntity | undefined = m3ter.meters.find((meter) => meter.code === 'api_calls')
 * ```
 */
export type StoredEntity = Entity & Readonly<Record<string, unknown>>

/**
 * An answer of the store: a status and the body m3ter would send (the entity, a page, or `{message}`).
 *
 * @example
 * ```ts
 * const { status, body }: StoreAnswer = state.meters.list(ex.url.searchParams)
 * ex.json(status, body)
 * ```
 */
export type StoreAnswer = { readonly status: number; readonly body: unknown }

const DATA_CATEGORIES = new Set(['WHO', 'WHERE', 'WHAT', 'OTHER', 'METADATA', 'MEASURE', 'INCOME', 'COST'])
// Set by the server, whatever a request body says.
const SYSTEM_FIELDS = ['id', 'version', 'dtCreated', 'dtLastModified', 'createdBy', 'lastModifiedBy']
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const UUID_LENGTH = 36

/**
 * Meters or accounts of one organization: list (paging, `ids` and `codes` filters), get, create, update
 * (the caller's `version` must match) and delete, with m3ter's shapes and its 400/404 `{message}` errors.
 *
 * @example
 * ```ts
 * const answer = state.meters.create(JSON.parse(ex.body), claims.keyId)
 * ex.json(answer.status, answer.body)
 * ```
 */
export class EntityStore {
  readonly #kind: EntityKind
  readonly #now: () => number
  #items: StoredEntity[]

  constructor(kind: EntityKind, generated: readonly Entity[], now: () => number) {
    this.#kind = kind
    this.#now = now
    const at = new Date(now()).toISOString()
    this.#items = generated.map((entity) => ({
      ...entity,
      ...seedFields(kind, entity),
      dtCreated: at,
      dtLastModified: at,
    }))
  }

  get items(): readonly StoredEntity[] {
    return this.#items
  }

  list(query: URLSearchParams): StoreAnswer {
    const ids = listParam(query, 'ids')
    const codes = listParam(query, 'codes')
    const items = this.#items.filter((item) => (!ids || ids.has(item.id)) && (!codes || codes.has(item.code)))
    const page = paginate(items, query)
    return page.ok ? { status: 200, body: page.page } : { status: 400, body: { message: page.message } }
  }

  get(idOrCode: string): StoreAnswer {
    const item = this.#find(idOrCode)
    return item ? { status: 200, body: item } : this.#notFound(idOrCode)
  }

  create(body: unknown, by: string): StoreAnswer {
    const input = asObject(body)
    const problem = input ? this.#problem(input) : 'Request body must be a JSON object'
    if (problem) return bad(problem)
    const fields = input as Record<string, unknown>
    if (this.#items.some((item) => item.code === fields.code))
      return bad(`A ${this.#singular()} with code ${JSON.stringify(fields.code)} already exists`)
    const at = new Date(this.#now()).toISOString()
    const entity = {
      ...withoutSystemFields(fields),
      id: randomUUID(),
      version: 1,
      dtCreated: at,
      dtLastModified: at,
      createdBy: by,
      lastModifiedBy: by,
    } as unknown as StoredEntity
    this.#items = [...this.#items, entity]
    return { status: 200, body: entity }
  }

  update(id: string, body: unknown, by: string): StoreAnswer {
    const index = this.#items.findIndex((item) => item.id === id)
    const current = this.#items[index]
    if (!current) return this.#notFound(id)
    const input = asObject(body)
    const problem = input ? this.#problem(input) : 'Request body must be a JSON object'
    if (problem) return bad(problem)
    const fields = input as Record<string, unknown>
    // Optimistic locking, as m3ter: the update names the version it read.
    if (fields.version !== current.version)
      return bad(`version must be ${current.version} (the ${this.#singular()}'s current version)`)
    if (this.#items.some((item) => item.code === fields.code && item.id !== id))
      return bad(`A ${this.#singular()} with code ${JSON.stringify(fields.code)} already exists`)
    const entity = {
      ...withoutSystemFields(fields),
      id,
      version: current.version + 1,
      dtCreated: current.dtCreated,
      createdBy: current.createdBy,
      dtLastModified: new Date(this.#now()).toISOString(),
      lastModifiedBy: by,
    } as unknown as StoredEntity
    this.#items = this.#items.map((item, i) => (i === index ? entity : item))
    return { status: 200, body: entity }
  }

  delete(id: string): StoreAnswer {
    const item = this.#items.find((candidate) => candidate.id === id)
    if (!item) return this.#notFound(id)
    this.#items = this.#items.filter((candidate) => candidate !== item)
    return { status: 200, body: item }
  }

  #find(idOrCode: string): StoredEntity | undefined {
    return this.#items.find((item) => item.id === idOrCode || item.code === idOrCode)
  }

  #notFound(id: string): StoreAnswer {
    return { status: 404, body: { message: `${this.#singular()} ${id} not found` } }
  }

  #singular(): string {
    return this.#kind === 'meters' ? 'Meter' : 'Account'
  }

  #problem(input: Record<string, unknown>): string | undefined {
    return this.#kind === 'meters' ? meterProblem(input) : accountProblem(input)
  }
}

const bad = (message: string): StoreAnswer => ({ status: 400, body: { message } })

/** `ids=a,b` (how m3ter's SDKs send arrays) or `ids=a&ids=b`; undefined when absent. */
function listParam(query: URLSearchParams, name: string): Set<string> | undefined {
  const values = query.getAll(name)
  if (!values.length) return undefined
  return new Set(values.flatMap((value) => value.split(',')).filter((value) => value !== ''))
}

function withoutSystemFields(fields: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...fields }
  for (const name of SYSTEM_FIELDS) delete copy[name]
  return copy
}

// Generated entities get the fields m3ter always answers, so code that reads them works on any item.
function seedFields(kind: EntityKind, entity: Entity): Record<string, unknown> {
  return kind === 'meters'
    ? {
        dataFields: [{ category: 'MEASURE', code: 'units', name: 'Units', unit: '{count}' }],
        derivedFields: [],
        customFields: {},
      }
    : { emailAddress: `${entity.code}@example.com`, customFields: {} }
}

function meterProblem(input: Record<string, unknown>): string | undefined {
  const common =
    codeProblem('code', input.code) ??
    textProblem('name', input.name, 200) ??
    uuidProblem('productId', input.productId) ??
    uuidProblem('groupId', input.groupId) ??
    customFieldsProblem(input.customFields)
  if (common) return common
  if (!Array.isArray(input.dataFields) || input.dataFields.length < 1 || input.dataFields.length > 15)
    return 'dataFields must be an array of 1 to 15 fields'
  // Required even when empty: m3ter refuses null here.
  if (!Array.isArray(input.derivedFields) || input.derivedFields.length > 15)
    return 'derivedFields must be an array of at most 15 fields ([] for none)'
  for (const [i, field] of input.dataFields.entries()) {
    const problem = dataFieldProblem(`dataFields[${i}]`, field, false)
    if (problem) return problem
  }
  for (const [i, field] of input.derivedFields.entries()) {
    const problem = dataFieldProblem(`derivedFields[${i}]`, field, true)
    if (problem) return problem
  }
  return undefined
}

function dataFieldProblem(path: string, value: unknown, derived: boolean): string | undefined {
  const field = asObject(value)
  if (!field) return `${path} must be an object`
  if (typeof field.category !== 'string' || !DATA_CATEGORIES.has(field.category))
    return `${path}.category must be one of ${[...DATA_CATEGORIES].join(', ')}`
  return (
    fieldCodeProblem(`${path}.code`, field.code) ??
    textProblem(`${path}.name`, field.name, 200) ??
    (field.unit === undefined ? undefined : textProblem(`${path}.unit`, field.unit, 50)) ??
    (derived ? textProblem(`${path}.calculation`, field.calculation, 10_000) : undefined)
  )
}

function accountProblem(input: Record<string, unknown>): string | undefined {
  if (typeof input.emailAddress !== 'string' || !EMAIL.test(input.emailAddress))
    return 'emailAddress must be an email address'
  return (
    codeProblem('code', input.code) ??
    textProblem('name', input.name, 200) ??
    (input.address === undefined || asObject(input.address) ? undefined : 'address must be an object') ??
    customFieldsProblem(input.customFields)
  )
}

function uuidProblem(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  return typeof value === 'string' && value.length === UUID_LENGTH
    ? undefined
    : `${field} must be a UUID of ${UUID_LENGTH} characters`
}

function customFieldsProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined
  const fields = asObject(value)
  if (!fields) return 'customFields must be an object'
  for (const [name, entry] of Object.entries(fields))
    if (typeof entry !== 'string' && typeof entry !== 'number')
      return `customFields.${name} must be a string or a number`
  return undefined
}
