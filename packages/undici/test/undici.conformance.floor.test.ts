import { describeAdapterConformance } from '@m3ter-auth/testkit'
import * as undiciFloor from 'undici'
import type { UndiciModule } from './driver.ts'
import { FETCH_PATH_SKIPS, undiciDriver, undiciFetchDriver } from './driver.ts'

// The lower bound of the peer range, driven through the newest 7.x's types (the calls used are the same).
const undici = undiciFloor as unknown as UndiciModule

describeAdapterConformance('undici 7.0.0 request() (peer range floor)', (auth) => undiciDriver(undici, auth))
describeAdapterConformance(
  'undici 7.0.0 fetch() (peer range floor)',
  (auth) => undiciFetchDriver(undici, auth),
  { skip: FETCH_PATH_SKIPS },
)
