import { attachM3terAuth } from '@m3ter-auth/axios'
import { describeAdapterConformance } from '@m3ter-auth/testkit'
import axios from 'axios'
import { axiosDriver } from './driver.ts'

describeAdapterConformance('axios 1.5.0 (peer range floor, Node http adapter)', (auth) => {
  const instance = axios.create()
  attachM3terAuth(instance as never, auth)
  return axiosDriver(instance as never)
})
