import type { TokenProviderOptions } from '@m3ter-auth/core'
import type { SuiteContext } from './context.ts'
import type { MakeDriver } from './driver.ts'
import { createHarness, type Harness, type HarnessOptions } from './harness.ts'
import { basicsTests } from './tests-basics.ts'
import { forbiddenTests } from './tests-forbidden.ts'
import { hygieneTests } from './tests-hygiene.ts'
import { poolTests } from './tests-pool.ts'
import { rejectionTests } from './tests-rejection.ts'
import { requestTests, tokenRequestTests } from './tests-requests.ts'
import { scopeTests } from './tests-scope.ts'
import { tokenEndpointTests } from './tests-token-endpoint.ts'
import { tokenPathTests } from './tests-token-path.ts'
import { vitest } from './vitest.ts'

/**
 * Options of {@link describeAdapterConformance}.
 *
 * @example
 * ```ts
 * describeAdapterConformance('got', makeDriver, { supports: { signal: false }, skip: ['4.12'] })
 * ```
 */
export interface ConformanceOptions {
  /** Lines (`'4.12'`) or full test names to skip, with the reason kept in the adapter's test file. */
  readonly skip?: readonly string[]
  /**
   * Shared tests (by full name, `§4.5 …`) this client cannot pass by design, each replaced by a test of what it
   * really does instead, so a rule it keeps differently is still checked rather than skipped.
   */
  readonly differs?: Readonly<
    Record<
      string,
      {
        /** What the client does instead, in a few words: the replacing test's name. */
        readonly instead: string
        /** The replacing test, with the suite's harness and expect. */
        readonly test: (context: SuiteContext) => Promise<void>
      }
    >
  >
  /** What the client can do; a test that needs what it cannot do is left out. Both default to true. */
  readonly supports?: {
    /** The driver passes `DriverRequest.signal` to the client. */
    readonly signal?: boolean
    /** The driver can send a one-shot stream body. */
    readonly streamBody?: boolean
  }
  /** Merged into the provider options of every test (the suite's own clock, URLs and keys win unless set here). */
  readonly providerOptions?: Partial<TokenProviderOptions>
  /**
   * Give the adapter a pool (`createTokenPool`) of the mock's one organisation instead of a provider: every
   * line must hold the same for the member the pool picks by the URL. `harness.auth` is that member. The
   * driver factory gets the pool where it would get a provider: it must only hand it to the adapter.
   */
  readonly pool?: boolean
  /**
   * Tests of what is truly specific to one client (its error classes, its hooks), declared inside the
   * suite with the same context: `test`, `harness`, `expect`.
   */
  readonly additionalTests?: (context: SuiteContext) => void
}

/**
 * Declares one vitest suite that checks every line of the behaviour contract (docs/contract.md) an adapter can
 * show, each test against a fresh mock m3ter, a foreign server and a manual clock. Test names cite the line.
 *
 * @example
 * ```ts
 * import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'
 * import { withM3terAuth } from '@m3ter-auth/fetch'
 *
 * describeAdapterConformance('fetch', (auth) => {
 *   const f = withM3terAuth(auth)
 *   return {
 *     async request(req) {
 *       const res = await f(req.url, {
 *         method: req.method,
 *         headers: { ...req.headers, ...(req.body?.contentType ? { 'content-type': req.body.contentType } : {}) },
 *         body: req.body?.text,
 *         signal: req.signal,
 *       })
 *       return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() }
 *     },
 *   }
 * })
 * ```
 */
export function describeAdapterConformance(
  name: string,
  makeDriver: MakeDriver,
  options: ConformanceOptions = {},
): void {
  if (!vitest)
    throw new Error('describeAdapterConformance needs vitest (a peer dependency of @m3ter-auth/testkit)')
  const { describe, it, expect, afterEach } = vitest
  const skip = new Set(options.skip ?? [])
  const differs = options.differs ?? {}
  // Every line and full name declared, so an option naming a test that no longer exists fails, not hides.
  const declared = new Set<string>()
  const title = `${name}${options.pool ? ' with a pool of one organisation' : ''}`
  describe(`${title}: m3ter-auth adapter conformance (docs/contract.md)`, () => {
    let open: Harness[] = []
    afterEach(async () => {
      const closing = open
      open = []
      await Promise.all(closing.map((h) => h.close()))
    })
    const context: SuiteContext = {
      expect,
      supports: {
        signal: options.supports?.signal ?? true,
        streamBody: options.supports?.streamBody ?? true,
      },
      test(line, title, body, timeoutMs) {
        const full = `§${line} ${title}`
        declared.add(line).add(full)
        const difference = differs[full]
        if (difference)
          it(
            `§${line} ${difference.instead} (instead of: ${title})`,
            () => difference.test(context),
            timeoutMs,
          )
        else if (skip.has(line) || skip.has(full)) it.skip(full, body)
        else it(full, body, timeoutMs)
      },
      async harness(harnessOptions?: HarnessOptions) {
        const h = await createHarness(makeDriver, options.providerOptions ?? {}, harnessOptions, options.pool)
        open.push(h)
        return h
      },
    }
    basicsTests(context)
    rejectionTests(context)
    forbiddenTests(context)
    requestTests(context)
    tokenRequestTests(context)
    scopeTests(context)
    tokenEndpointTests(context)
    tokenPathTests(context)
    hygieneTests(context)
    if (options.pool) poolTests(context)
    options.additionalTests?.(context)
    const unknown = [...skip, ...Object.keys(differs)].filter((name) => !declared.has(name))
    if (unknown.length > 0)
      throw new Error(`conformance: no such test to skip or replace: ${unknown.join('; ')}`)
  })
}
