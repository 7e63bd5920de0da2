// Child process side of load.mjs: a warm-up run (discarded), then the measured run.
//
// Two clients, one result shape:
// - 'keep-alive' (default): autocannon, for servers that keep connections open.
// - 'connection-per-request': a closed loop of node:http requests with no agent, for servers that
//   answer `Connection: close` on every response (moto's werkzeug server does, always).
//   autocannon 8 loses its connections against such servers: it writes the next request into the
//   socket the server is closing and stalls, so it would report ~1 request per connection.
import { request as httpRequest } from 'node:http'
import autocannon from 'autocannon'

function percentile(sorted, p) {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function summariseAutocannon(result) {
  const responses = result['2xx'] + result.non2xx
  return {
    client: 'autocannon',
    // Completed requests over the wall-clock window. autocannon's own "Req/Sec Avg" is the mean of
    // its per-second samples, and on a busy core those samples stretch past 1 s (so it reads high).
    requestsPerSec: result.duration > 0 ? result.requests.total / result.duration : 0,
    totalRequests: result.requests.total,
    durationSec: result.duration,
    // autocannon's histogram has 1 ms resolution.
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    bytesPerResponse: responses > 0 ? Math.round(result.throughput.total / responses) : 0,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
  }
}

function runAutocannon({ url, requests, connections, durationSec, timeoutSec = 10 }) {
  return autocannon({
    url,
    connections,
    pipelining: 1,
    duration: durationSec,
    timeout: timeoutSec,
    // autocannon walks this array per connection and starts over at the end; the requests are
    // built into buffers once, so cycling through them costs the generator nothing.
    requests,
  }).then(summariseAutocannon)
}

function sendOnce(target, signed, timeoutMs) {
  return new Promise((resolve) => {
    const req = httpRequest({ ...target, method: signed.method, path: signed.path, headers: signed.headers, agent: false, timeout: timeoutMs }, (res) => {
      let bytes = 0
      res.on('data', (chunk) => { bytes += chunk.length })
      res.on('end', () => resolve({ status: res.statusCode, bytes }))
      res.on('error', () => resolve({ error: true }))
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { timeout: true })))
    req.on('error', (error) => resolve({ error: true, timeout: Boolean(error.timeout) }))
    req.end(signed.body)
  })
}

async function runConnectionPerRequest({ url, requests, connections, durationSec, timeoutSec = 10 }) {
  const { hostname, port } = new URL(url)
  const target = { hostname, port }
  const latencies = []
  const statusCodes = {}
  let errors = 0
  let timeouts = 0
  let bytes = 0
  const started = performance.now()
  const deadline = started + durationSec * 1000
  let next = 0
  async function loop() {
    while (performance.now() < deadline) {
      const signed = requests[next++ % requests.length]
      const sent = performance.now()
      const outcome = await sendOnce(target, signed, timeoutSec * 1000)
      const finished = performance.now()
      if (finished > deadline) break // only count what completed inside the window
      if (outcome.error) {
        errors++
        if (outcome.timeout) timeouts++
        continue
      }
      latencies.push(finished - sent)
      statusCodes[outcome.status] = (statusCodes[outcome.status] ?? 0) + 1
      bytes += outcome.bytes
    }
  }
  await Promise.all(Array.from({ length: connections }, loop))
  const elapsedSec = (Math.min(performance.now(), deadline) - started) / 1000
  latencies.sort((a, b) => a - b)
  const total = latencies.length
  const non2xx = Object.entries(statusCodes).filter(([code]) => !code.startsWith('2')).reduce((sum, [, n]) => sum + n, 0)
  return {
    client: 'node:http, new connection per request',
    requestsPerSec: elapsedSec > 0 ? total / elapsedSec : 0,
    totalRequests: total,
    durationSec: Math.round(elapsedSec * 100) / 100,
    p50Ms: Math.round(percentile(latencies, 50) * 100) / 100,
    p99Ms: Math.round(percentile(latencies, 99) * 100) / 100,
    maxMs: Math.round((latencies.at(-1) ?? 0) * 100) / 100,
    non2xx,
    errors,
    timeouts,
    // body bytes only: node:http does not expose the raw header bytes
    bytesPerResponse: total > 0 ? Math.round(bytes / total) : 0,
    statusCodes,
  }
}

const CLIENTS = { 'keep-alive': runAutocannon, 'connection-per-request': runConnectionPerRequest }

process.once('message', async ({ options }) => {
  try {
    const run = CLIENTS[options.connectionMode ?? 'keep-alive']
    if (!run) throw new Error(`unknown connectionMode ${options.connectionMode}`)
    if (options.warmupSec > 0) await run({ ...options, durationSec: options.warmupSec })
    const result = await run(options)
    process.send({ type: 'result', result }, () => process.exit(0))
  } catch (error) {
    process.send({ type: 'error', message: error?.stack ?? String(error) }, () => process.exit(1))
  }
})
