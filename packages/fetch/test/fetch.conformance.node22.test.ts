import { fetchDriver } from '@m3ter-auth/drivers'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'

// Node 22's global fetch (a newer bundled undici than Node 20's).
describeAdapterConformance('fetch (global, Node 22)', (auth) => fetchDriver(withM3terAuth(auth)))
