import type { Harness, HarnessOptions } from './harness.ts'

type Vitest = typeof import('vitest')

/** What each group of conformance tests gets: vitest's expect, a way to declare a test, and harnesses. */
export interface SuiteContext {
  readonly expect: Vitest['expect']
  /** Declares the test `§${line} ${name}`; skipped when the line or full name is in `options.skip`. */
  test(line: string, name: string, body: () => Promise<void>, timeoutMs?: number): void
  /** A fresh mock, foreign server, clock, provider and driver, closed after the test. */
  harness(options?: HarnessOptions): Promise<Harness>
  readonly supports: { readonly signal: boolean; readonly streamBody: boolean }
}

/** A GET to the meters list: the plainest in-scope request. */
export const listMeters = (h: Harness) => ({ method: 'GET', url: h.api('/meters?pageSize=5') })
