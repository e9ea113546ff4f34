import { m3terAuthHooks } from '@m3ter-auth/got'
import { describeAdapterConformance } from '@m3ter-auth/testkit'
import got from 'got'
import { type GotLike, gotConformance, gotDriver } from './driver.ts'

describeAdapterConformance(
  'got 14',
  (auth) => gotDriver(got.extend({ hooks: m3terAuthHooks(auth) }) as unknown as GotLike),
  gotConformance(got as never),
)
