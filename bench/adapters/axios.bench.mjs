// axios with and without @m3ter-auth/axios, side by side (harness and figures: ./side-by-side.mjs).
// Run after `pnpm build` (imports the built packages and drivers).
//
// Rounds and requests: the harness defaults (see ./side-by-side.mjs).
import { attachM3terAuth } from '@m3ter-auth/axios'
import { axiosDriver } from '@m3ter-auth/drivers'
import axios from 'axios'
import { sideBySide } from './side-by-side.mjs'

const { auth, bearer, compare, through } = await sideBySide()

// Two instances, so the interceptors sit only on one; each reads the whole body.
// The baseline sends the same bearer by hand: what a user without the adapter would do.
const plain = axios.create()
const authed = axios.create()
attachM3terAuth(authed, auth)

await compare({
  name: 'axios',
  bare: through(axiosDriver(plain), { Authorization: bearer }),
  wrapped: through(axiosDriver(authed)),
})
