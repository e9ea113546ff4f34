#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { startMockM3ter } from './mock-m3ter.ts'

// Runs the mock standalone so a person can try m3ter's own curl example against it without a network.
const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'api-port': { type: 'string' },
    'ingest-port': { type: 'string' },
    'token-port': { type: 'string' },
    host: { type: 'string' },
    org: { type: 'string' },
    'key-id': { type: 'string' },
    secret: { type: 'string' },
    lifetime: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
})

if (values.help) {
  console.log(`m3ter-mock: a local mock of m3ter's token endpoint, config API and ingest API

Options:
  --port N           api port; ingest and token endpoint take N+1 and N+2 (default: free ports)
  --api-port N, --ingest-port N, --token-port N
  --host H           interface (default 127.0.0.1)
  --org ID           organization id (default: random UUID)
  --key-id ID --secret S   the test access key (default: generated)
  --lifetime SECONDS token lifetime (default 18000)
  --json             print one JSON line with the URLs and key instead of text`)
  process.exit(0)
}

const port = (value: string | undefined, offset = 0) => {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n + offset > 65535) {
    console.error(`m3ter-mock: not a port: ${value}`)
    process.exit(2)
  }
  return n === 0 ? 0 : n + offset
}

const key: { accessKeyId?: string; apiSecret?: string } = {}
if (values['key-id'] !== undefined) key.accessKeyId = values['key-id']
if (values.secret !== undefined) key.apiSecret = values.secret
const ports: { api?: number; ingest?: number; token?: number } = {}
const api = port(values['api-port']) ?? port(values.port)
const ingest = port(values['ingest-port']) ?? port(values.port, 1)
const token = port(values['token-port']) ?? port(values.port, 2)
if (api !== undefined) ports.api = api
if (ingest !== undefined) ports.ingest = ingest
if (token !== undefined) ports.token = token

const m3ter = await startMockM3ter({
  keys: [key],
  ports,
  ...(values.host ? { host: values.host } : {}),
  ...(values.org ? { orgId: values.org } : {}),
  ...(values.lifetime ? { tokenLifetimeSeconds: Number(values.lifetime) } : {}),
})
const [testKey] = m3ter.keys
if (!testKey) throw new Error('m3ter-mock: no key')

if (values.json) {
  console.log(
    JSON.stringify({
      apiUrl: m3ter.apiUrl,
      ingestUrl: m3ter.ingestUrl,
      tokenUrl: m3ter.tokenUrl,
      orgId: m3ter.orgId,
      accessKeyId: testKey.accessKeyId,
      apiSecret: testKey.apiSecret,
    }),
  )
} else {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`
  console.log(`m3ter mock is running
  API:            ${m3ter.apiUrl}
  Ingest:         ${m3ter.ingestUrl}
  Token endpoint: ${m3ter.tokenUrl}
  Org id:         ${m3ter.orgId}
  Access key id:  ${testKey.accessKeyId}
  API secret:     ${testKey.apiSecret}

Get a token (m3ter's own example):
  curl -u ${quote(`${testKey.accessKeyId}:${testKey.apiSecret}`)} -H 'Content-Type: application/json' --data-raw '{"grant_type":"client_credentials"}' ${m3ter.tokenUrl}

Then list meters:
  curl -H "Authorization: Bearer $TOKEN" '${m3ter.apiUrl}/organizations/${m3ter.orgId}/meters?pageSize=10'

Ctrl-C to stop.`)
}

const stop = () => {
  void m3ter.close().then(() => process.exit(0))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
