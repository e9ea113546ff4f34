import { type GotLike, gotDriver } from '@m3ter-auth/drivers'
import { m3terAuthHooks } from '@m3ter-auth/got'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'
import got from 'got'
import { gotConformance } from './conformance-options.ts'
import { gotSpecificTests } from './got-specific-tests.ts'

// The lower bound of the peer range: got 14.5.0 is the oldest 14.x whose retryWithMergedOptions takes the
// adapter's retried options (older 14.x reject them with "Unexpected option: preserveHooks").
describeAdapterConformance(
  'got 14.5.0 (peer range floor)',
  (auth) => gotDriver(got.extend({ hooks: m3terAuthHooks(auth) }) as unknown as GotLike),
  gotConformance(got as never),
)

gotSpecificTests('got 14.5.0 (peer range floor)', got as never)
