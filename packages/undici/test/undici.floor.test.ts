import { type UndiciModule, undiciDriver, undiciFetchDriver } from '@m3ter-auth/drivers'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'
import * as undiciFloor from 'undici'
import { FETCH_PATH_DIFFERENCES, withAdapter } from './conformance-options.ts'
import { describeUndiciSpecifics } from './undici-specific-tests.ts'

// The lower bound of the peer range, driven through the newest 7.x's types (the calls used are the same).
const undici = undiciFloor as unknown as UndiciModule

describeAdapterConformance('undici 7.0.0 request() (peer range floor)', (auth) =>
  undiciDriver(undici, withAdapter(auth)),
)
describeAdapterConformance(
  'undici 7.0.0 fetch() (peer range floor)',
  (auth) => undiciFetchDriver(undici, withAdapter(auth)),
  { differs: FETCH_PATH_DIFFERENCES },
)

describeUndiciSpecifics('undici 7.0.0 (peer range floor)', undiciFloor as unknown as UndiciModule)
