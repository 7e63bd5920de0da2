// Baseline for the GetSecretValue benchmark: what plain node:http costs for the same exchange.
// Reads every request body fully (as a real handler must, to parse it) and answers with a fixed
// JSON body of the same bytes as Rotor's GetSecretValue response. It does no signature check,
// no lookup and no decryption; that is the point: Rotor's throughput divided by this is the
// share of the node:http ceiling that Rotor keeps.
//
// Usage: node bench/lib/bare-server.mjs --body-file <path> [--content-type <type>] [--port 0]
import { createServer } from 'node:http'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    'body-file': { type: 'string' },
    'content-type': { type: 'string', default: 'application/x-amz-json-1.1' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
})
if (!values['body-file']) {
  console.error('bare-server: --body-file is required')
  process.exit(2)
}
const body = readFileSync(values['body-file'])
const contentType = values['content-type']

const server = createServer((req, res) => {
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    Buffer.concat(chunks) // the body is read in full, as a handler that parses JSON would
    res.writeHead(req.method === 'POST' ? 200 : 404, {
      'content-type': contentType,
      'content-length': body.length,
      'x-amzn-requestid': randomUUID(),
    })
    res.end(body)
  })
})
server.keepAliveTimeout = 65_000

server.listen(Number(values.port), values.host, () => {
  const { address, port } = server.address()
  console.log(`bare-node-http listening on http://${address}:${port}`)
})
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => server.close(() => process.exit(0)).closeAllConnections())
