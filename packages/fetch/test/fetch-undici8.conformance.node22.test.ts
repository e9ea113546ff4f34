import { fetchDriver } from '@m3ter-auth/drivers'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { describeAdapterConformance } from '@m3ter-auth/testkit/vitest'
import { FormData as UndiciFormData, fetch as undiciFetch } from 'undici-8'

// undici 8's fetch has its own Request/Headers classes: a good test of the wrapper's duck typing.
describeAdapterConformance('fetch (undici 8)', (auth) =>
  fetchDriver(
    withM3terAuth(auth, undiciFetch as unknown as typeof globalThis.fetch),
    UndiciFormData as unknown as typeof FormData,
  ),
)
