import { type GotLike, gotDriver } from '@m3ter-auth/drivers'
import { m3terAuthHooks } from '@m3ter-auth/got'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'
import got from 'got'
import { gotConformance } from './conformance-options.ts'

// The whole contract again, with a pool of the mock's one organisation where the provider went (got's own
// additional tests are the provider run's).
const { skip, differs } = gotConformance(got as never)
describeAdapterConformance(
  'got 14',
  (auth) => gotDriver(got.extend({ hooks: m3terAuthHooks(auth) }) as unknown as GotLike),
  { ...(skip && { skip }), ...(differs && { differs }), pool: true },
)
