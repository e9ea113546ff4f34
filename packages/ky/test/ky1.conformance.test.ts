import { m3terAuth } from '@m3ter-auth/ky'
import { describeAdapterConformance } from '@m3ter-auth/testkit'
import ky from 'ky'
import { type KyLike, kyConformance, kyDriver } from './driver.ts'

describeAdapterConformance(
  'ky 1',
  (auth) => kyDriver(ky.extend(m3terAuth(auth)) as unknown as KyLike),
  kyConformance(ky as never),
)
