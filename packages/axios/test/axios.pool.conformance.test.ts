import { attachM3terAuth } from '@m3ter-auth/axios'
import { axiosDriver } from '@m3ter-auth/drivers'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'
import axios from 'axios'

// The whole contract again, with a pool of the mock's one organisation where the provider went.
describeAdapterConformance(
  'axios 1 (Node http adapter)',
  (auth) => {
    const instance = axios.create()
    attachM3terAuth(instance, auth)
    return axiosDriver(instance)
  },
  { pool: true },
)
