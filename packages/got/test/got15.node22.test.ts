import { type GotLike, gotDriver } from '@m3ter-auth/drivers'
import { m3terAuthHooks } from '@m3ter-auth/got'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'
import got from 'got-15'
import { gotConformance } from './conformance-options.ts'
import { gotSpecificTests } from './got-specific-tests.ts'

// got 15 needs Node 22, like got 16.
describeAdapterConformance(
  'got 15.0.0',
  (auth) => gotDriver(got.extend({ hooks: m3terAuthHooks(auth) }) as unknown as GotLike),
  gotConformance(got as never),
)

gotSpecificTests('got 15.0.0', got as never)
