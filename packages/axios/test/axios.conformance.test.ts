import { attachM3terAuth } from '@m3ter-auth/axios'
import { describeAdapterConformance } from '@m3ter-auth/testkit'
import axios from 'axios'
import { axiosDriver } from './driver.ts'

describeAdapterConformance('axios 1 (Node http adapter)', (auth) => {
  const instance = axios.create()
  attachM3terAuth(instance, auth)
  return axiosDriver(instance)
})

describeAdapterConformance('axios 1 (fetch adapter)', (auth) => {
  const instance = axios.create({ adapter: 'fetch' })
  attachM3terAuth(instance, auth)
  return axiosDriver(instance)
})
