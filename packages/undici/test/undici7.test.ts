import { undiciDriver, undiciFetchDriver } from '@m3ter-auth/drivers'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'
import * as undici from 'undici'
import { FETCH_PATH_DIFFERENCES, withAdapter } from './conformance-options.ts'
import { describeUndiciSpecifics } from './undici-specific-tests.ts'

describeAdapterConformance('undici 7 request()', (auth) => undiciDriver(undici, withAdapter(auth)))
describeAdapterConformance('undici 7 fetch()', (auth) => undiciFetchDriver(undici, withAdapter(auth)), {
  differs: FETCH_PATH_DIFFERENCES,
})

describeUndiciSpecifics('undici 7', undici)
