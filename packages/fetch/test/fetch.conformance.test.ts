import { withM3terAuth } from '@m3ter-auth/fetch'
import { describeAdapterConformance } from '@m3ter-auth/testkit'
import { fetchDriver } from './driver.ts'

// Node's global fetch (undici bundled with Node).
describeAdapterConformance('fetch (global)', (auth) => fetchDriver(withM3terAuth(auth)))
