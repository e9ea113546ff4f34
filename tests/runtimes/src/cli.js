// Entry for runtimes that run a script file: Node, Deno and Bun. One JSON line per behaviour on stdout.
import { configFromEnv } from './config.js'
import { runContract } from './contract.js'

const env = globalThis.Deno ? globalThis.Deno.env.toObject() : globalThis.process.env
const only = env.CONTRACT_ONLY ? env.CONTRACT_ONLY.split(',') : undefined
await runContract(configFromEnv(env), (result) => console.log(JSON.stringify(result)), only)
