// Child process side of unique-load.mjs: signs distinct requests and sends each exactly once
// over keep-alive connections, in a closed loop (every connection sends its next request when
// the previous answer arrived).
//
// Why not autocannon: it replays one request array per connection, so every connection would
// send the same ClientRequestToken, and a write API would answer most of the run as idempotent
// retries. Here every request carries its own token and is sent once.
//
// Two modes:
// - 'all':   send `count` requests (concurrency `connections`) and report when the last answered.
// - 'timed': warm-up, then a measured window; requests are signed before each phase (sized from
//            the warm-up's rate), so the window spends no CPU on signing.
import { randomBytes, randomUUID } from 'node:crypto'
import { Agent, request as httpRequest } from 'node:http'
import { createRequestSigner } from './sigv4.mjs'

function percentile(sorted, p) {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

const round2 = (value) => Math.round(value * 100) / 100

/**
 * Fills a payload template: in every string, `{i}` is the request's index, `{uuid}` a fresh
 * UUID, `{name}` `names[i % names.length]`, `{password}` 32 random base64url characters.
 */
function fill(template, i, names) {
  if (typeof template === 'string') {
    return template.replace(/\{(i|uuid|name|password)\}/g, (_, key) => {
      if (key === 'i') return String(i)
      if (key === 'uuid') return randomUUID()
      if (key === 'name') return names[i % names.length]
      return randomBytes(24).toString('base64url')
    })
  }
  if (Array.isArray(template)) return template.map((item) => fill(item, i, names))
  if (template && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([key, value]) => [key, fill(value, i, names)]))
  }
  return template
}

async function signRange(sign, options, from, count) {
  const signingDate = new Date()
  const signed = new Array(count)
  for (let k = 0; k < count; k++) signed[k] = await sign(options.target, fill(options.template, from + k, options.names ?? []), signingDate)
  return signed
}

function sendOnce(agent, target, signed, timeoutMs) {
  return new Promise((resolve) => {
    const req = httpRequest({ ...target, agent, method: signed.method, path: signed.path, headers: signed.headers, timeout: timeoutMs }, (res) => {
      const chunks = []
      res.on('data', (chunk) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode, body: chunks.length ? Buffer.concat(chunks) : undefined }))
      res.on('error', () => resolve({ error: 'response error' }))
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { timeout: true })))
    req.on('error', (error) => resolve({ error: error.timeout ? 'timeout' : error.code ?? error.message }))
    req.end(signed.body)
  })
}

/** Sends `requests` once each with `connections` closed loops; stops early at `deadline`. */
async function sendAll({ agent, target, requests, connections, timeoutMs, deadline = Infinity }) {
  const latencies = []
  const statusCodes = {}
  const failures = []
  let errors = 0
  let next = 0
  let firstSentAt
  let lastDoneAt
  const started = performance.now()
  async function loop() {
    while (next < requests.length && performance.now() < deadline) {
      const signed = requests[next++]
      const sent = performance.now()
      firstSentAt ??= Date.now()
      const outcome = await sendOnce(agent, target, signed, timeoutMs)
      const done = performance.now()
      if (done > deadline) break // only count what completed inside the window
      lastDoneAt = Date.now()
      if (outcome.error) {
        errors++
        if (failures.length < 5) failures.push({ error: outcome.error })
        continue
      }
      latencies.push(done - sent)
      statusCodes[outcome.status] = (statusCodes[outcome.status] ?? 0) + 1
      if ((outcome.status < 200 || outcome.status > 299) && failures.length < 5) {
        failures.push({ status: outcome.status, body: outcome.body?.toString('utf8').slice(0, 300) })
      }
    }
  }
  await Promise.all(Array.from({ length: connections }, loop))
  const elapsedSec = (Math.min(performance.now(), deadline) - started) / 1000
  latencies.sort((a, b) => a - b)
  const completed = latencies.length
  const non2xx = Object.entries(statusCodes).filter(([code]) => !code.startsWith('2')).reduce((sum, [, n]) => sum + n, 0)
  return {
    completed,
    exhausted: next >= requests.length && deadline !== Infinity && performance.now() < deadline,
    requestsPerSec: elapsedSec > 0 ? completed / elapsedSec : 0,
    durationSec: round2(elapsedSec),
    firstSentAt,
    lastDoneAt,
    p50Ms: round2(percentile(latencies, 50)),
    p99Ms: round2(percentile(latencies, 99)),
    maxMs: round2(latencies.at(-1) ?? 0),
    non2xx,
    errors,
    statusCodes,
    failures,
  }
}

async function run(options) {
  const { hostname, port } = new URL(options.url)
  const target = { hostname, port }
  const connections = options.connections ?? 64
  const timeoutMs = (options.timeoutSec ?? 30) * 1000
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const sign = createRequestSigner(options)
  try {
    if (options.mode === 'all') {
      const signStarted = performance.now()
      const requests = await signRange(sign, options, 0, options.count)
      const signSec = (performance.now() - signStarted) / 1000
      const result = await sendAll({ agent, target, requests, connections, timeoutMs })
      return { ...result, signSec: round2(signSec), client: 'node:http keep-alive, one distinct signed request each' }
    }
    if (options.mode === 'timed') {
      const warmupSec = options.warmupSec ?? 2
      const durationSec = options.durationSec ?? 10
      let index = 0
      let warmupRate = 0
      if (warmupSec > 0) {
        const pool = await signRange(sign, options, index, options.warmupPool ?? 6000)
        index += pool.length
        const warm = await sendAll({ agent, target, requests: pool, connections, timeoutMs, deadline: performance.now() + warmupSec * 1000 })
        warmupRate = warm.requestsPerSec
      }
      // Enough distinct requests for the window at 3x the warm-up rate (a cold server warms up
      // slower than it then runs), never fewer than 20,000; signing costs ~50 us a request.
      const poolSize = Math.min(options.maxPool ?? 300_000, Math.max(20_000, Math.ceil(warmupRate * durationSec * 3)))
      const pool = await signRange(sign, options, index, poolSize)
      const result = await sendAll({ agent, target, requests: pool, connections, timeoutMs, deadline: performance.now() + durationSec * 1000 })
      return { ...result, warmupRequestsPerSec: round2(warmupRate), poolSize, client: 'node:http keep-alive, one distinct signed request each' }
    }
    throw new Error(`unknown mode ${options.mode}`)
  } finally {
    agent.destroy()
  }
}

process.once('message', async ({ options }) => {
  try {
    const result = await run(options)
    process.send({ type: 'result', result }, () => process.exit(0))
  } catch (error) {
    process.send({ type: 'error', message: error?.stack ?? String(error) }, () => process.exit(1))
  }
})
