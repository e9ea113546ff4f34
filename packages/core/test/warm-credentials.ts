import type { MockM3ter } from '@m3ter-auth/testkit'
import type { Credentials } from '../src/credentials.ts'
import { storeKeyOf } from '../src/store-key.ts'

/**
 * The mock's key `index` as a frozen credentials object whose store key is already derived. A provider
 * given it files and finds tokens without waiting on real crypto, so a test that moves a manual clock
 * (or the fleet simulation) sees the same interleaving on every run.
 */
export async function warmCredentials(m3ter: MockM3ter, index = 0): Promise<Credentials> {
  const key = m3ter.keys[index]
  if (!key) throw new Error(`the mock has no key ${index}`)
  const credentials = Object.freeze({ accessKeyId: key.accessKeyId, apiSecret: key.apiSecret })
  await storeKeyOf(m3ter.tokenUrl, credentials)
  return credentials
}
