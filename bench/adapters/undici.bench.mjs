// undici's request() through an Agent with and without m3terAuthInterceptor, side by side (harness and
// figures: ./side-by-side.mjs). undici 7 on Node 20; undici 8 (the `undici-8` alias) where Node >= 22.
//
//   cd packages/core && npx tsup; cd ../undici && npx tsup; node bench/adapters/undici.bench.mjs [--strict]
//
// Defaults: 15 rounds of 4000 requests per side.
import { m3terAuthInterceptor } from '@m3ter-auth/undici'
import { sideBySide } from './side-by-side.mjs'

const major = Number(process.versions.node.split('.')[0]) >= 22 ? 8 : 7
const undici = await import(major === 8 ? 'undici-8' : 'undici')

const { url, auth, bearer, concurrency, compare } = await sideBySide()

// Two agents with the same pool size, so neither side shares or steals the other's sockets.
const bareAgent = new undici.Agent({ connections: concurrency })
const authAgent = new undici.Agent({ connections: concurrency })
const composed = authAgent.compose(m3terAuthInterceptor(auth))
// The baseline sends the same bearer by hand, so both sides send identical bytes.
const bareHeaders = { authorization: bearer }

const consume = async (res) => {
  if (res.statusCode !== 200) throw new Error(`unexpected status ${res.statusCode}`)
  await res.body.arrayBuffer()
}

await compare({
  name: `undici ${major}`,
  bare: async () => consume(await undici.request(url, { dispatcher: bareAgent, headers: bareHeaders })),
  wrapped: async () => consume(await undici.request(url, { dispatcher: composed })),
  rounds: 15,
  requests: 4000,
  close: async () => {
    await bareAgent.close()
    await authAgent.close()
  },
})
