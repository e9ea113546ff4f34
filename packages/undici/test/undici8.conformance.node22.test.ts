import { describeAdapterConformance } from '@m3ter-auth/testkit'
import * as undici8 from 'undici-8'
import type { UndiciModule } from './driver.ts'
import { undiciDriver, undiciFetchDriver } from './driver.ts'

// Driven through undici 7's types: the calls used here are the same in 8, only handler typings differ.
const undici = undici8 as unknown as UndiciModule

describeAdapterConformance('undici 8 request()', (auth) => undiciDriver(undici, auth))
// undici's fetch hands every request body to the dispatcher as a stream, so through this path a request
// with a body gets its first 403 (bodiless requests are retried). Retrying fetch bodies is the job of
// @m3ter-auth/fetch wrapped around undici's fetch, which sees the body before it becomes a stream.
describeAdapterConformance('undici 8 fetch()', (auth) => undiciFetchDriver(undici, auth), {
  skip: ["§4.5 a 'text' body POST is retried after 403 and arrives intact"],
})
