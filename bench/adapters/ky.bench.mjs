// ky with and without @m3ter-auth/ky, side by side (harness and figures: ./side-by-side.mjs).
// Run after `cd packages/ky && npx tsup` (imports the built dist).
//
// Defaults: 41 rounds of 400 requests per side.
import { m3terAuth } from '@m3ter-auth/ky'
import ky from 'ky'
import { sideBySide } from './side-by-side.mjs'

const { url, auth, bearer, compare } = await sideBySide()

// Retries off on both sides, so neither can hide a failure in a retry; ky rejects a non-2xx.
// The baseline sends the same bearer by hand: what a user without the adapter would do.
const plain = ky.extend({ retry: { limit: 0 }, headers: { authorization: bearer } })
const authed = ky.extend({ retry: { limit: 0 }, ...m3terAuth(auth) })

await compare({
  name: 'ky',
  // ky hands back the Response unread: read it to the end, or its connection stays busy.
  bare: async () => (await plain(url)).arrayBuffer(),
  wrapped: async () => (await authed(url)).arrayBuffer(),
  rounds: 41,
  requests: 400,
})
