// undici's request() through an Agent with and without m3terAuthInterceptor, side by side (harness and
// figures: ./side-by-side.mjs). undici 7 on Node 20; undici 8 (the `undici-8` alias) where Node >= 22.
//
//   pnpm build && node bench/adapters/undici.bench.mjs [--strict]
//
// Rounds and requests: the harness defaults (see ./side-by-side.mjs).
import { undiciDriver } from '@m3ter-auth/drivers'
import { m3terAuthInterceptor } from '@m3ter-auth/undici'
import { sideBySide } from './side-by-side.mjs'

const major = Number(process.versions.node.split('.')[0]) >= 22 ? 8 : 7
const undici = await import(major === 8 ? 'undici-8' : 'undici')

const { auth, bearer, concurrency, compare, through } = await sideBySide()

// Two agents with the same pool size, so neither side shares or steals the other's sockets. The baseline
// sends the same bearer by hand, so both sides send identical bytes.
const bare = undiciDriver(undici, { agent: new undici.Agent({ connections: concurrency }) })
const wrapped = undiciDriver(undici, {
  agent: new undici.Agent({ connections: concurrency }),
  interceptor: () => m3terAuthInterceptor(auth),
})

await compare({
  name: `undici ${major}`,
  bare: through(bare, { authorization: bearer }),
  wrapped: through(wrapped),
  close: async () => {
    await bare.close()
    await wrapped.close()
  },
})
