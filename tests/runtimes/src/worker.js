// Entry for workerd: each request runs the behaviours named in ?only= (all by default) with the bindings as
// configuration, and answers their results as JSON lines.
import { configFromEnv } from './config.js'
import { runContract } from './contract.js'

export default {
  async fetch(request, env) {
    const only = new URL(request.url).searchParams.get('only')
    const results = await runContract(configFromEnv(env), undefined, only ? only.split(',') : undefined)
    return new Response(results.map((r) => JSON.stringify(r)).join('\n'))
  },
}
