// OAuth: ensure-fresh throughput over 10,000 hot Slack installations, against GetSecretValue of
// the same secrets in the same run (ensure-fresh reads and parses the installation, checks the
// token's expiry and answers; nothing needs refreshing), and refreshes per second against the
// provider simulator (each call forces one refresh: createSecret calls oauth.v2.access, testSecret
// calls auth.test, finishSecret promotes).
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { HttpRequest } from '@smithy/protocol-http'
import { SignatureV4 } from '@smithy/signature-v4'
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { stopChild, trackChild } from './lib/cleanup.mjs'
import { runLoad } from './lib/load.mjs'
import { REPO_ROOT, runRotorCli, startRotor } from './lib/servers.mjs'
import { envNumber } from './lib/settings.mjs'
import { NodeSha256 } from './lib/sigv4.mjs'
import { formatNumber, formatTable } from './lib/table.mjs'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const SIM_CLI = join(REPO_ROOT, 'packages', 'provider-sim', 'dist', 'cli.js')

export function readSettings() {
  return {
    installations: envNumber('BENCH_OAUTH_INSTALLATIONS', 10_000),
    connections: envNumber('BENCH_CONNECTIONS', 64),
    warmupSec: envNumber('BENCH_WARMUP', 2),
    durationSec: envNumber('BENCH_DURATION', 10),
    poolSize: envNumber('BENCH_POOL_SIZE', 2_000),
    refreshes: envNumber('BENCH_OAUTH_REFRESHES', 2_000),
    refreshConcurrency: envNumber('BENCH_OAUTH_REFRESH_CONCURRENCY', 64),
  }
}

/** Signs one request for Rotor: awsJson1.1 at `/` (service secretsmanager) or JSON at a `/v1` path (service rotor). */
function createSigner(server) {
  const { hostname, port, host } = new URL(server.url)
  const signers = {
    secretsmanager: new SignatureV4({ credentials: server.credentials, region: server.region, service: 'secretsmanager', sha256: NodeSha256 }),
    rotor: new SignatureV4({ credentials: server.credentials, region: server.region, service: 'rotor', sha256: NodeSha256 }),
  }
  return async ({ service, path, target, payload }) => {
    const body = JSON.stringify(payload)
    const headers = {
      host,
      'content-type': target ? 'application/x-amz-json-1.1' : 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      'amz-sdk-invocation-id': randomUUID(),
      ...(target ? { 'x-amz-target': target } : {}),
    }
    const signed = await signers[service].sign(new HttpRequest({ method: 'POST', protocol: 'http:', hostname, port: Number(port), path, headers, body }))
    return { method: 'POST', path, headers: { ...signed.headers }, body }
  }
}

async function send(server, signed) {
  const response = await fetch(`${server.url}${signed.path}`, { method: 'POST', headers: signed.headers, body: signed.body })
  return { status: response.status, body: await response.text() }
}

async function simJson(url, path, body) {
  const response = await fetch(`${url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  if (!response.ok) throw new Error(`simulator ${path}: ${response.status} ${await response.text()}`)
  return response.json()
}

function startSimulator() {
  const child = trackChild(spawn(process.execPath, [SIM_CLI, '--port', '0', '--seed', '11'], { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }))
  return new Promise((resolve, reject) => {
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match) resolve({ url: match[1], stop: () => stopChild(child) })
    })
    child.stderr.resume()
    child.once('exit', (code) => reject(new Error(`provider-sim exited (code ${code}): ${output}`)))
  })
}

export default {
  name: 'oauth',
  summary: 'ensure-fresh req/s over 10,000 hot Slack installations vs GetSecretValue; refreshes/s against the simulator',

  async run({ log }) {
    const settings = readSettings()
    log('starting the provider simulator and Rotor...')
    const [sim, rotor] = await Promise.all([startSimulator(), startRotor()])
    log(`  simulator ${sim.url}, rotor ${rotor.url}`)
    const app = await simJson(sim.url, '/_sim/apps', { preset: 'slack', knobs: { rateLimitPerMinute: 1_000_000 } })
    const client = new SecretsManagerClient({ endpoint: rotor.url, region: rotor.region, credentials: rotor.credentials, maxAttempts: 1 })
    const master = await client.send(new CreateSecretCommand({ Name: 'bench/slack-app', SecretString: JSON.stringify({ client_id: app.client_id, client_secret: app.client_secret }) }))
    client.destroy()
    await runRotorCli(['functions', 'create', 'slack', '--data-dir', rotor.dataDir, '--builtin', 'slack', '--config', JSON.stringify({ masterSecretArn: master.ARN, apiBaseUrl: `${sim.url}/api` })])

    log(`installing ${formatNumber(settings.installations)} workspaces at the simulator and importing them...`)
    const sign = createSigner(rotor)
    const names = []
    const seedStarted = Date.now()
    for (let start = 0; start < settings.installations; start += 100) {
      const records = []
      for (let i = start; i < Math.min(settings.installations, start + 100); i++) {
        records.push(await simJson(sim.url, '/_sim/install', { client_id: app.client_id, team_id: `TB${String(i).padStart(7, '0')}` }))
      }
      const answer = await send(rotor, await sign({ service: 'rotor', path: '/v1/oauth/slack/installations', payload: { installations: records } }))
      if (answer.status !== 200) throw new Error(`import failed: ${answer.status} ${answer.body.slice(0, 300)}`)
      for (const item of JSON.parse(answer.body).Installations) names.push(item.Name)
    }
    log(`  seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`)

    const pick = (i) => names[(i * 7919) % names.length]
    const results = {}
    for (const kind of ['get-secret-value', 'ensure-fresh']) {
      const pool = []
      for (let i = 0; i < settings.poolSize; i++) {
        const name = pick(i)
        pool.push(
          kind === 'ensure-fresh'
            ? await sign({ service: 'rotor', path: `/v1/secrets/${encodeURIComponent(name)}/ensure-fresh`, payload: { minValidSeconds: 300 } })
            : await sign({ service: 'secretsmanager', path: '/', target: 'secretsmanager.GetSecretValue', payload: { SecretId: name } }),
        )
      }
      const check = await send(rotor, pool[0])
      if (check.status !== 200) throw new Error(`${kind} sanity check: ${check.status} ${check.body.slice(0, 300)}`)
      if (kind === 'ensure-fresh' && JSON.parse(check.body).Refreshed !== false) throw new Error('ensure-fresh refreshed a hot installation')
      log(`${kind}: ${settings.warmupSec} s warm-up + ${settings.durationSec} s measured, ${settings.connections} connections, ${formatNumber(pool.length)} distinct installations...`)
      results[kind] = await runLoad({ url: rotor.url, requests: pool, connections: settings.connections, durationSec: settings.durationSec, warmupSec: settings.warmupSec })
    }

    // Forced refreshes: minValidSeconds beyond the 12-hour lifetime makes every call refresh once.
    const refreshNames = names.slice(0, Math.min(settings.refreshes, names.length))
    const before = (await simJson(sim.url, `/_sim/events?endpoint=oauth.v2.access&client_id=${encodeURIComponent(app.client_id)}&limit=1`)).next
    log(`refreshing ${formatNumber(refreshNames.length)} installations through ensure-fresh, ${settings.refreshConcurrency} at a time...`)
    const refreshStarted = Date.now()
    let next = 0
    let failed = 0
    await Promise.all(
      Array.from({ length: settings.refreshConcurrency }, async () => {
        while (next < refreshNames.length) {
          const name = refreshNames[next++]
          const answer = await send(rotor, await sign({ service: 'rotor', path: `/v1/secrets/${encodeURIComponent(name)}/ensure-fresh`, payload: { minValidSeconds: 86_400 } }))
          if (answer.status !== 200 || JSON.parse(answer.body).Refreshed !== true) failed++
        }
      }),
    )
    const refreshSeconds = (Date.now() - refreshStarted) / 1000
    let accepted = 0
    for (let since = before; ; ) {
      const page = await simJson(sim.url, `/_sim/events?endpoint=oauth.v2.access&client_id=${encodeURIComponent(app.client_id)}&since=${since}&limit=5000`)
      accepted += page.events.filter((event) => event.grant_type === 'refresh_token' && event.outcome === 'issued').length
      if (page.events.length === 0 || page.next === since) break
      since = page.next
    }
    await rotor.stop()
    await sim.stop()

    const ensure = results['ensure-fresh']
    const get = results['get-secret-value']
    const ratio = ensure.requestsPerSec / get.requestsPerSec
    const refreshesPerSec = refreshNames.length / refreshSeconds
    const errors = ensure.non2xx + ensure.errors + get.non2xx + get.errors + failed
    const text = [
      formatTable(
        ['call', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'],
        [
          ['GetSecretValue (baseline)', formatNumber(Math.round(get.requestsPerSec)), get.p50Ms, get.p99Ms, get.non2xx, get.errors],
          ['ensure-fresh (hot)', formatNumber(Math.round(ensure.requestsPerSec)), ensure.p50Ms, ensure.p99Ms, ensure.non2xx, ensure.errors],
        ],
      ),
      '',
      `ensure-fresh / GetSecretValue: ${ratio.toFixed(2)}`,
      `refreshes against the simulator: ${formatNumber(refreshNames.length)} in ${refreshSeconds.toFixed(1)} s = ${refreshesPerSec.toFixed(0)}/s ` +
        `(${refreshesPerSec.toFixed(0)} refresh grants/s at the provider; accepted by the simulator: ${accepted}; failed calls: ${failed})`,
    ].join('\n')
    return {
      ok: errors === 0 && accepted === refreshNames.length,
      text,
      data: {
        installations: names.length,
        ensureFreshPerSec: Math.round(ensure.requestsPerSec),
        getSecretValuePerSec: Math.round(get.requestsPerSec),
        ratio: Math.round(ratio * 100) / 100,
        refreshesPerSec: Math.round(refreshesPerSec),
        refreshesAccepted: accepted,
        failedRefreshCalls: failed,
      },
    }
  },
}
