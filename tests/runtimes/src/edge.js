// Entry for the Vercel Edge runtime (EdgeVM evaluates a script, not a module): exposes the contract as a
// global the test calls with the configuration.
import { configFromEnv } from './config.js'
import { runContract } from './contract.js'

globalThis.runContract = (env, only) =>
  runContract(configFromEnv(env), undefined, only).then((results) => JSON.stringify(results))
