import { type KyLike, kyDriver } from '@m3ter-auth/drivers'
import { m3terAuth } from '@m3ter-auth/ky'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'
import ky from 'ky-2'
import { kyConformance } from './conformance-options.ts'
import { kySpecificTests } from './ky-specific-tests.ts'

describeAdapterConformance(
  'ky 2',
  (auth) => kyDriver(ky.extend(m3terAuth(auth)) as unknown as KyLike),
  kyConformance(ky as never),
)

kySpecificTests('ky 2', ky as never)
