export { createManualClock, type ManualClock, type ManualTimer } from './clock.ts'
export type {
  AdapterDriver,
  DriverBody,
  DriverRequest,
  DriverResponse,
  MakeDriver,
} from './conformance/driver.ts'
export type { Harness, HarnessOptions } from './conformance/harness.ts'
// The conformance suite's types need vitest: they live under '@m3ter-auth/testkit/vitest'. This alias,
// typed without vitest, keeps old imports working.
export { describeAdapterConformance } from './conformance-moved.ts'
export type { Refusal, RequestLogEntry } from './exchange.ts'
export type {
  AnyFault,
  Endpoint,
  Fault,
  FaultController,
  FaultKind,
  FaultWindow,
  InjectedFault,
  RedirectStatus,
  TokenFault,
} from './faults.ts'
export { type Entity, generateEntities } from './fixtures.ts'
export { type ForeignServer, startForeignServer } from './foreign-server.ts'
export { decodeJwtClaims, type MockTokenClaims } from './jwt.ts'
export { type AccessKeyInput, generateAccessKey, MAX_KEYS, type MockAccessKey } from './keys.ts'
export { INGEST_MAX_BYTES, INGEST_MAX_ITEMS } from './measurements.ts'
export { type MockM3ter, type MockM3terOptions, startMockM3ter } from './mock-m3ter.ts'
export type { DeniedRoute, PermissionController } from './permissions.ts'
export { createProviderFor } from './provider-for.ts'
export type { RateLimitOption } from './rate-limit.ts'
export type { MockStats } from './stats.ts'
