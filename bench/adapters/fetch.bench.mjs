// fetch with and without @m3ter-auth/fetch, side by side (harness and figures: ./side-by-side.mjs).
//
//   cd packages/core && npx tsup; cd ../fetch && npx tsup; node bench/adapters/fetch.bench.mjs [--strict]
//
// Defaults: 15 rounds of 2000 requests per side.
import { withM3terAuth } from '@m3ter-auth/fetch'
import { sideBySide } from './side-by-side.mjs'

const { url, auth, bearer, compare } = await sideBySide()

// The baseline is the same request made by hand: fetch with the same Authorization header (a static one),
// so both sides send identical bytes and the ratio is the adapter's own cost.
const bareInit = { headers: { authorization: bearer } }
const wrappedFetch = withM3terAuth(auth, fetch)

// Read the body to the end on both sides: an unread body holds its connection.
const consume = async (res) => {
  if (res.status !== 200) throw new Error(`unexpected status ${res.status}`)
  await res.arrayBuffer()
}

await compare({
  name: 'fetch',
  bare: async () => consume(await fetch(url, bareInit)),
  wrapped: async () => consume(await wrappedFetch(url)),
  rounds: 15,
  requests: 2000,
})
