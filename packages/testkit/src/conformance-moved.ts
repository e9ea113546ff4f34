import type { TokenProviderOptions } from '@m3ter-auth/core'
import type { MakeDriver } from './conformance/driver.ts'
import { describeAdapterConformance as describeWithVitest } from './conformance/suite.ts'

/**
 * The conformance suite as the main entry used to export it, typed without vitest so that a project that
 * only wants the mock (Jest, say) typechecks without vitest installed. Deprecated: import it from
 * `@m3ter-auth/testkit/vitest`, whose `ConformanceOptions` types `additionalTests` with vitest's `expect`.
 *
 * @deprecated Import `describeAdapterConformance` from `@m3ter-auth/testkit/vitest`.
 * @example
 * ```ts
 * import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest' // not from '@m3ter-auth/testkit'
 * describeAdapterConformance('my-client', makeDriver)
 * ```
 */
export const describeAdapterConformance: (
  name: string,
  makeDriver: MakeDriver,
  options?: {
    readonly skip?: readonly string[]
    readonly supports?: { readonly signal?: boolean; readonly streamBody?: boolean }
    readonly providerOptions?: Partial<TokenProviderOptions>
  },
) => void = describeWithVitest
