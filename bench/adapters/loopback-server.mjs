// The adapter benches' loopback server, run in its own process (forked by ./side-by-side.mjs) so the bench
// process's `process.cpuUsage()` counts the client's work alone. It answers a token endpoint and a meters
// page, counts token requests and API requests that came without the bench's bearer, and reports them
// over IPC when the parent asks ('counts'). Not named *.bench.mjs, so bench/run.mjs does not run it.
import { createServer } from 'node:http'

const token = process.argv[2]
let tokenRequests = 0
let withoutBearer = 0
// Content-length rather than chunked: the smallest framing, so the client's own work dominates.
const page = JSON.stringify({ data: [{ id: 'm1', code: 'calls' }], nextToken: null })
const pageHead = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(page) }

const server = createServer((req, res) => {
  if (req.url === '/oauth/token') {
    tokenRequests++
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ token_type: 'Bearer', access_token: token, expires_in: 18000 }))
    })
    return
  }
  if (req.headers.authorization !== `Bearer ${token}`) withoutBearer++
  res.writeHead(200, pageHead)
  res.end(page)
})
// Longer than a whole run, so no side ever pays for a reconnect the other did not.
server.keepAliveTimeout = 600_000

process.on('message', (message) => {
  if (message === 'counts') process.send({ tokenRequests, withoutBearer })
  if (message === 'close') {
    server.closeAllConnections()
    server.close(() => process.exit(0))
  }
})
// The parent died without asking: do not outlive it.
process.on('disconnect', () => process.exit(0))

server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }))
