import { fetchDriver } from '@m3ter-auth/drivers'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'

// The whole contract again, with a pool of the mock's one organisation where the provider went.
describeAdapterConformance('fetch (global)', (auth) => fetchDriver(withM3terAuth(auth)), { pool: true })
