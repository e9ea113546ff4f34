import { undiciDriver } from '@m3ter-auth/drivers'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'
import * as undici from 'undici'
import { withAdapter } from './conformance-options.ts'

// The whole contract again, with a pool of the mock's one organisation where the provider went.
describeAdapterConformance('undici 7 request()', (auth) => undiciDriver(undici, withAdapter(auth)), {
  pool: true,
})
