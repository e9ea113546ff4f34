// The conformance suite on its own subpath: its types need vitest, which the main entry's must not (a Jest
// project that only wants the mock would fail to typecheck without it).
export type { SuiteContext } from './conformance/context.ts'
export type {
  AdapterDriver,
  DriverBody,
  DriverRequest,
  DriverResponse,
  MakeDriver,
} from './conformance/driver.ts'
export type { Harness, HarnessOptions } from './conformance/harness.ts'
export { type ConformanceOptions, describeAdapterConformance } from './conformance/suite.ts'
