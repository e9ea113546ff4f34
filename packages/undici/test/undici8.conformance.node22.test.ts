import { describeAdapterConformance } from '@m3ter-auth/testkit'
import * as undici8 from 'undici-8'
import type { UndiciModule } from './driver.ts'
import { FETCH_PATH_SKIPS, undiciDriver, undiciFetchDriver } from './driver.ts'

// Driven through undici 7's types: the calls used here are the same in 8, only handler typings differ.
const undici = undici8 as unknown as UndiciModule

describeAdapterConformance('undici 8 request()', (auth) => undiciDriver(undici, auth))
describeAdapterConformance('undici 8 fetch()', (auth) => undiciFetchDriver(undici, auth), {
  skip: FETCH_PATH_SKIPS,
})
