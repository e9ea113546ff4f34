// got with and without @m3ter-auth/got, side by side (harness and figures: ./side-by-side.mjs).
// Run after `pnpm build` (imports the built packages and drivers).
//
// Rounds and requests: the harness defaults (see ./side-by-side.mjs).
import { gotDriver } from '@m3ter-auth/drivers'
import { m3terAuthHooks } from '@m3ter-auth/got'
import got from 'got'
import { sideBySide } from './side-by-side.mjs'

const { auth, bearer, compare, through } = await sideBySide()

// Retries off on both sides (the driver's too), so neither can hide a failure in a retry; got reads the
// whole body. The baseline sends the same bearer by hand: what a user without the adapter would do.
const plain = got.extend({ retry: { limit: 0 }, headers: { authorization: bearer } })
const authed = got.extend({ retry: { limit: 0 }, hooks: m3terAuthHooks(auth) })

await compare({
  name: 'got',
  bare: through(gotDriver(plain)),
  wrapped: through(gotDriver(authed)),
})
