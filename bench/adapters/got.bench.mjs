// got with and without @m3ter-auth/got, side by side (harness and figures: ./side-by-side.mjs).
// Run after `cd packages/got && npx tsup` (imports the built dist).
//
// Defaults: 41 rounds of 400 requests per side.
import { m3terAuthHooks } from '@m3ter-auth/got'
import got from 'got'
import { sideBySide } from './side-by-side.mjs'

const { url, auth, bearer, compare } = await sideBySide()

// Retries off on both sides, so neither can hide a failure in a retry; got rejects a non-2xx and reads the
// whole body.
// The baseline sends the same bearer by hand: what a user without the adapter would do.
const plain = got.extend({ retry: { limit: 0 }, headers: { authorization: bearer } })
const authed = got.extend({ retry: { limit: 0 }, hooks: m3terAuthHooks(auth) })

await compare({
  name: 'got',
  bare: () => plain(url),
  wrapped: () => authed(url),
  rounds: 41,
  requests: 400,
})
