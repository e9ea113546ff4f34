// ky with and without @m3ter-auth/ky, side by side (harness and figures: ./side-by-side.mjs).
// Run after `pnpm build` (imports the built packages and drivers).
//
// Rounds and requests: the harness defaults (see ./side-by-side.mjs).
import { kyDriver } from '@m3ter-auth/drivers'
import { m3terAuth } from '@m3ter-auth/ky'
import ky from 'ky'
import { sideBySide } from './side-by-side.mjs'

const { auth, bearer, compare, through } = await sideBySide()

// Retries off on both sides (the driver's too), so neither can hide a failure in a retry; the driver reads
// each Response to the end, or its connection stays busy. The baseline sends the same bearer by hand: what a
// user without the adapter would do.
const plain = ky.extend({ retry: { limit: 0 }, headers: { authorization: bearer } })
const authed = ky.extend({ retry: { limit: 0 }, ...m3terAuth(auth) })

await compare({
  name: 'ky',
  bare: through(kyDriver(plain)),
  wrapped: through(kyDriver(authed)),
})
