// The conformance suite on its own subpath, for projects that keep vitest-only code apart from the mock.
export type { AdapterDriver, DriverRequest, DriverResponse, MakeDriver } from './conformance/driver.ts'
export type { Harness, HarnessOptions } from './conformance/harness.ts'
export { type ConformanceOptions, describeAdapterConformance } from './conformance/suite.ts'
