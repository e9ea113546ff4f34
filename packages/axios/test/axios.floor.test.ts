import { attachM3terAuth } from '@m3ter-auth/axios'
import { axiosDriver } from '@m3ter-auth/drivers'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'
import axios from 'axios'

describeAdapterConformance('axios 1.5.0 (peer range floor, Node http adapter)', (auth) => {
  const instance = axios.create()
  attachM3terAuth(instance as never, auth)
  return axiosDriver(instance as never)
})
