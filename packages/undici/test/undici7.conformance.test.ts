import { describeAdapterConformance } from '@m3ter-auth/testkit'
import * as undici from 'undici'
import { FETCH_PATH_SKIPS, undiciDriver, undiciFetchDriver } from './driver.ts'

describeAdapterConformance('undici 7 request()', (auth) => undiciDriver(undici, auth))
describeAdapterConformance('undici 7 fetch()', (auth) => undiciFetchDriver(undici, auth), {
  skip: FETCH_PATH_SKIPS,
})
