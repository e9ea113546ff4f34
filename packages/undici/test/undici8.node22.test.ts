import { type UndiciModule, undiciDriver, undiciFetchDriver } from '@m3ter-auth/drivers'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'
import * as undici8 from 'undici-8'
import { FETCH_PATH_DIFFERENCES, withAdapter } from './conformance-options.ts'
import { describeUndiciSpecifics } from './undici-specific-tests.ts'

// Driven through undici 7's types: the calls used here are the same in 8, only handler typings differ.
const undici = undici8 as unknown as UndiciModule

describeAdapterConformance('undici 8 request()', (auth) => undiciDriver(undici, withAdapter(auth)))
describeAdapterConformance('undici 8 fetch()', (auth) => undiciFetchDriver(undici, withAdapter(auth)), {
  differs: FETCH_PATH_DIFFERENCES,
})

describeUndiciSpecifics('undici 8', undici)
