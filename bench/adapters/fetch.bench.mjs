// fetch with and without @m3ter-auth/fetch, side by side (harness and figures: ./side-by-side.mjs).
//
//   pnpm build && node bench/adapters/fetch.bench.mjs [--strict]
//
// Rounds and requests: the harness defaults (see ./side-by-side.mjs).
import { fetchDriver } from '@m3ter-auth/drivers'
import { withM3terAuth } from '@m3ter-auth/fetch'
import { sideBySide } from './side-by-side.mjs'

const { auth, bearer, compare, through } = await sideBySide()

// The baseline is the same request made by hand: fetch with the same Authorization header (a static one),
// so both sides send identical bytes and the ratio is the adapter's own cost. The drivers read each body to
// the end: an unread body holds its connection.
await compare({
  name: 'fetch',
  bare: through(fetchDriver(fetch), { authorization: bearer }),
  wrapped: through(fetchDriver(withM3terAuth(auth, fetch))),
})
