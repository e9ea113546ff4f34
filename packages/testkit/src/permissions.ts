/**
 * A route a Service User's key may not use: m3ter answers it 403 although the token is good.
 *
 * As a string: `'POST /organizations/{orgId}/meters'`, or just a path for every method. In a path a
 * segment `*` matches any one segment, a last segment `**` any rest, and `{orgId}` the mock's organization.
 *
 * @example
 * ```ts
 * const m3ter = await startMockM3ter({
 *   deny: ['POST /organizations/{orgId}/meters', { method: 'DELETE', path: /\/accounts\//, accessKeyId: 'key-b' }],
 * })
 * ```
 */
export type DeniedRoute =
  | string
  | {
      /** Default: every method. */
      readonly method?: string
      /** A pattern as in the string form, or a RegExp tested against the path (no query). */
      readonly path: string | RegExp
      /** Only this key is refused; default: every key of the Service User. */
      readonly accessKeyId?: string
    }

/**
 * A rule ready to test.
 *
 * @example
 * ```ts
 * const rule: RouteRule = compileRoute('POST /organizations/{orgId}/meters', orgId)
 * const refused = rule.method === 'POST' && rule.path.test(path)
 * ```
 */
export interface RouteRule {
  readonly method: string | undefined
  readonly path: RegExp
  readonly accessKeyId: string | undefined
}

const METHOD_AND_PATH = /^([A-Za-z]+)\s+(\/\S*)$/

/**
 * Turns a {@link DeniedRoute} into a rule; throws on a pattern that names no path, so mistakes show at once.
 *
 * @example
 * ```ts
 * const rules = denied.map((route) => compileRoute(route, orgId))
 * ```
 */
export function compileRoute(route: DeniedRoute, orgId: string): RouteRule {
  if (typeof route === 'string') {
    const split = METHOD_AND_PATH.exec(route.trim())
    if (split) return compileRoute({ method: split[1] as string, path: split[2] as string }, orgId)
    return compileRoute({ path: route.trim() }, orgId)
  }
  const { path } = route
  if (typeof path === 'string' && !path.startsWith('/'))
    throw new Error(`deny: a route path starts with '/': ${path}`)
  return {
    method: route.method?.toUpperCase(),
    path: typeof path === 'string' ? patternToRegExp(path, orgId) : path,
    accessKeyId: route.accessKeyId,
  }
}

function patternToRegExp(pattern: string, orgId: string): RegExp {
  const segments = pattern.split('/').map((segment, index, all) => {
    if (segment === '**' && index === all.length - 1) return '.*'
    if (segment === '*') return '[^/]+'
    return escapeRegExp(segment.replaceAll('{orgId}', orgId))
  })
  return new RegExp(`^${segments.join('/')}/?$`)
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * The routes refused to each key, changeable while the mock runs.
 *
 * @example
 * ```ts
 * const undo = m3ter.permissions.deny('GET /organizations/{orgId}/accounts')
 * undo()
 * ```
 */
export interface PermissionController {
  /** Refuses a route from now on; the function given back allows it again. */
  deny(route: DeniedRoute): () => void
  /** Allows every route again, those given in the options included. */
  allowAll(): void
  /** Whether `accessKeyId` may send `method` to `path`. */
  allows(accessKeyId: string, method: string, path: string): boolean
}

/**
 * The routes refused to the Service User's keys, compiled once and changeable while the mock runs.
 *
 * @example
 * ```ts
 * const permissions = createPermissions(options.deny ?? [], orgId)
 * const allow = permissions.deny('GET /organizations/{orgId}/accounts')
 * ```
 */
export function createPermissions(initial: readonly DeniedRoute[], orgId: string): PermissionController {
  let rules = initial.map((route) => compileRoute(route, orgId))
  return {
    deny(route) {
      const rule = compileRoute(route, orgId)
      rules = [...rules, rule]
      return () => {
        rules = rules.filter((candidate) => candidate !== rule)
      }
    },
    allowAll() {
      rules = []
    },
    allows(accessKeyId, method, path) {
      const upper = method.toUpperCase()
      return !rules.some(
        (rule) =>
          (rule.method === undefined || rule.method === upper) &&
          (rule.accessKeyId === undefined || rule.accessKeyId === accessKeyId) &&
          rule.path.test(path),
      )
    },
  }
}
