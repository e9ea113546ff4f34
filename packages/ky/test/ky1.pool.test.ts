import { type KyLike, kyDriver } from '@m3ter-auth/drivers'
import { m3terAuth } from '@m3ter-auth/ky'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'
import ky from 'ky'

// The whole contract again, with a pool of the mock's one organisation where the provider went.
describeAdapterConformance('ky 1', (auth) => kyDriver(ky.extend(m3terAuth(auth)) as unknown as KyLike), {
  pool: true,
})
