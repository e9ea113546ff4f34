// Controls for the adapter benches: the bare client against the same bare client with a change that does
// no auth work at all, through the same harness (./side-by-side.mjs). What a control's "over" shows is
// what the client charges for being hooked or steered at all on this machine, which no adapter code can
// win back; an adapter's "over" is worth reading against it.
//
//   node --expose-gc bench/adapters/controls.mjs [got-after-response | fetch-manual-redirect | fetch-adapter-init |
//     ky-hook-and-fetch | axios-async-adapter]
//
// The inits are copied as the adapters copy them (core's initWith, Object.assign): on Node 20 a spread followed
// by a property its source lacks (`{ ...init, redirect: 'manual' }`) costs ~0.5-1 µs by itself, which these
// controls used to charge to fetch.
//
// With no argument every control runs, one after the other. Not named *.bench.mjs: bench/run.mjs skips it.
import { axiosDriver, fetchDriver, gotDriver, kyDriver } from '@m3ter-auth/drivers'
import axios from 'axios'
import got from 'got'
import ky from 'ky'
import { sideBySide } from './side-by-side.mjs'

const controls = {
  // got with one afterResponse hook that returns the response untouched (ours needs one to retry).
  'got-after-response': ({ bearer, through }) => {
    const plain = got.extend({ retry: { limit: 0 }, headers: { authorization: bearer } })
    const hooked = plain.extend({ hooks: { afterResponse: [(response) => response] } })
    return { bare: through(gotDriver(plain)), wrapped: through(gotDriver(hooked)) }
  },
  // fetch told not to follow redirects (ours follows them itself, hop by hop).
  'fetch-manual-redirect': ({ bearer, through }) => {
    const manual = (input, init) => fetch(input, Object.assign({}, init, { redirect: 'manual' }))
    return {
      bare: through(fetchDriver(fetch), { authorization: bearer }),
      wrapped: through(fetchDriver(manual), { authorization: bearer }),
    }
  },
  // fetch given what @m3ter-auth/fetch hands it: a fresh init and headers record per request, redirect
  // 'manual', the bearer in that record rather than in the caller's headers.
  'fetch-adapter-init': ({ bearer, through }) => {
    const handed = (input, init) =>
      fetch(input, Object.assign({}, init, { headers: { authorization: bearer }, redirect: 'manual' }))
    return {
      bare: through(fetchDriver(fetch), { authorization: bearer }),
      wrapped: through(fetchDriver(handed)),
    }
  },
  // ky with what @m3ter-auth/ky installs, doing nothing: a beforeRequest hook that returns at once and a
  // fetch option that hands ky's Request to fetch with a fresh init and signed headers copied from it, with
  // redirect 'manual' (as the adapter's first send does).
  'ky-hook-and-fetch': ({ bearer, through }) => {
    const plain = ky.extend({ retry: { limit: 0 }, headers: { authorization: bearer } })
    const handed = (request, init) => {
      const headers = new Headers(request.headers)
      headers.set('authorization', bearer)
      return fetch(request, Object.assign({}, init, { headers, redirect: 'manual' }))
    }
    const hooked = ky.extend({
      retry: { limit: 0 },
      fetch: handed,
      hooks: { beforeRequest: [() => undefined] },
    })
    return { bare: through(kyDriver(plain)), wrapped: through(kyDriver(hooked)) }
  },
  // axios whose http adapter is called from an async function (ours wraps it to retry).
  'axios-async-adapter': ({ bearer, through }) => {
    const http = axios.getAdapter('http')
    const wrapped = axios.create({ adapter: async (config) => await http(config) })
    return {
      bare: through(axiosDriver(axios.create()), { Authorization: bearer }),
      wrapped: through(axiosDriver(wrapped), { Authorization: bearer }),
    }
  },
}

const chosen = process.argv.slice(2).filter((arg) => !arg.startsWith('--'))
for (const name of chosen.length > 0 ? chosen : Object.keys(controls)) {
  const control = controls[name]
  if (!control) throw new Error(`unknown control ${name}; known: ${Object.keys(controls).join(', ')}`)
  const harness = await sideBySide()
  // The harness's one token request is made here, as an adapter would: its check expects exactly one.
  await harness.auth.getToken()
  await harness.compare({ name: `control ${name}`, ...control(harness) })
}
