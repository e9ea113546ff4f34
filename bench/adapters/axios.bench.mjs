// axios with and without @m3ter-auth/axios, side by side (harness and figures: ./side-by-side.mjs).
// Run after `cd packages/axios && npx tsup` (imports the built dist).
//
// Defaults: 41 rounds of 400 requests per side.
import { attachM3terAuth } from '@m3ter-auth/axios'
import axios from 'axios'
import { sideBySide } from './side-by-side.mjs'

const { url, auth, bearer, compare } = await sideBySide()

// Two instances, so the interceptors sit only on one; axios rejects a non-2xx and reads the whole body.
// The baseline sends the same bearer by hand: what a user without the adapter would do.
const plain = axios.create({ headers: { Authorization: bearer } })
const authed = axios.create()
attachM3terAuth(authed, auth)

await compare({
  name: 'axios',
  bare: () => plain.get(url),
  wrapped: () => authed.get(url),
  rounds: 41,
  requests: 400,
})
