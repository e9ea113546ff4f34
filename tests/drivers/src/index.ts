// One driver per adapter's client: the request shape of the conformance suite (@m3ter-auth/testkit's
// AdapterDriver), so the conformance tests, the reliability suite and the benchmarks send requests the same
// way. A driver takes the client as the caller wired it (with or without the adapter), never imports an
// adapter: the adapters' own tests depend on this package.
export { type AxiosLike, axiosDriver } from './axios.ts'
export { fetchDriver, textStream, webBody } from './fetch.ts'
export { type GotLike, gotDriver } from './got.ts'
export { type KyLike, kyDriver } from './ky.ts'
export type { DriveRequest, Driver } from './request.ts'
export { sentOnce } from './sent-once.ts'
export { type UndiciDriverOptions, type UndiciModule, undiciDriver, undiciFetchDriver } from './undici.ts'
