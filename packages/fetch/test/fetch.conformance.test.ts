import { fetchDriver } from '@m3ter-auth/drivers'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'

// Node's global fetch (undici bundled with Node).
describeAdapterConformance('fetch (global)', (auth) => fetchDriver(withM3terAuth(auth)))
