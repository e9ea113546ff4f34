import { undiciDriver, undiciFetchDriver } from '@m3ter-auth/drivers'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'
import * as undici from 'undici'
import { FETCH_PATH_SKIPS, withAdapter } from './conformance-options.ts'
import { describeUndiciSpecifics } from './undici-specific-tests.ts'

describeAdapterConformance('undici 7 request()', (auth) => undiciDriver(undici, withAdapter(auth)))
describeAdapterConformance('undici 7 fetch()', (auth) => undiciFetchDriver(undici, withAdapter(auth)), {
  skip: FETCH_PATH_SKIPS,
})

describeUndiciSpecifics('undici 7', undici)
