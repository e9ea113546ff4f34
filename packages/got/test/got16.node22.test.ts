import { type GotLike, gotDriver } from '@m3ter-auth/drivers'
import { m3terAuthHooks } from '@m3ter-auth/got'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'
import got from 'got-16'
import { gotConformance } from './conformance-options.ts'
import { gotSpecificTests } from './got-specific-tests.ts'

describeAdapterConformance(
  'got 16',
  (auth) => gotDriver(got.extend({ hooks: m3terAuthHooks(auth) }) as unknown as GotLike),
  gotConformance(got as never),
)

gotSpecificTests('got 16', got as never)
