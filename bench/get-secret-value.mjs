// GetSecretValue throughput and latency: Rotor against a bare node:http server (the ceiling on
// this machine) and against moto (the usual stand-in for AWS Secrets Manager in tests).
// Every request is a distinct, validly SigV4-signed awsJson1.1 request; Rotor verifies each one.
import { randomBytes } from 'node:crypto'
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager'
import { runLoad } from './lib/load.mjs'
import { startBareServer, startMoto, startRotor } from './lib/servers.mjs'
import { sendSigned, signRequestPool } from './lib/sigv4.mjs'
import { formatNumber, formatTable } from './lib/table.mjs'
import { envNumber } from './lib/settings.mjs'

// The SDK only creates the secrets here; its Node 20 end-of-support notice is noise in a report.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const TARGET = 'secretsmanager.GetSecretValue'
const SECRET_NAME = 'bench/orders-db/credentials'

/** Defaults keep the whole run under ~60 s on a 2-core machine; override through the environment. */
export function readSettings() {
  return {
    connections: envNumber('BENCH_CONNECTIONS', 64),
    warmupSec: envNumber('BENCH_WARMUP', 2),
    durationSec: envNumber('BENCH_DURATION', 10),
    // moto does ~500 req/s; 5 s is plenty of samples and saves the budget.
    motoDurationSec: envNumber('BENCH_MOTO_DURATION', 5),
    poolSize: envNumber('BENCH_POOL_SIZE', 500),
  }
}

/** The ratios the design aims for. Reported next to the measurement; never a reason to fail. */
const RATIO_TARGETS = [
  { name: 'rotor / bare-node-http', numerator: 'rotor', denominator: 'bare-node-http', target: 0.5 },
  { name: 'rotor / moto', numerator: 'rotor', denominator: 'moto', target: 50 },
]

/** A database-credentials JSON of ~130 bytes, the typical shape of a rotated secret. */
function makeSecretString() {
  return JSON.stringify({
    engine: 'postgres',
    host: 'orders-db.internal.example',
    port: 5432,
    username: 'orders_app',
    password: randomBytes(24).toString('base64url'),
    dbname: 'orders',
  })
}

async function createSecret(server, secretString) {
  const client = new SecretsManagerClient({
    endpoint: server.url,
    region: server.region,
    credentials: server.credentials,
    maxAttempts: 1,
  })
  try {
    await client.send(new CreateSecretCommand({ Name: SECRET_NAME, SecretString: secretString }))
    const read = await client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }))
    if (read.SecretString !== secretString) {
      throw new Error(`${server.name}: GetSecretValue through the AWS SDK returned a different SecretString`)
    }
  } catch (error) {
    throw new Error(`${server.name}: could not create the benchmark secret through the AWS SDK: ${error.name}: ${error.message}`, { cause: error })
  } finally {
    client.destroy()
  }
}

function signPool(server, count) {
  return signRequestPool({
    url: server.url,
    region: server.region,
    credentials: server.credentials,
    target: TARGET,
    payload: { SecretId: SECRET_NAME },
    count,
  })
}

/** One signed request from the pool must come back 200 with the secret, or nothing is timed. */
async function sanityCheck(server, signed, secretString) {
  const response = await sendSigned(server.url, signed)
  const text = response.body.toString('utf8')
  let parsed
  try { parsed = JSON.parse(text) } catch { /* reported below */ }
  if (response.status !== 200 || parsed?.SecretString !== secretString) {
    throw new Error(
      `sanity check failed for ${server.name} (${server.url}): expected 200 with the benchmark SecretString, ` +
      `got ${response.status}: ${text.slice(0, 500)}`,
    )
  }
  return response
}

/**
 * @param {object} [deps]  server starters, replaceable to exercise the plumbing without Rotor
 */
export function createGetSecretValueBenchmark(deps = {}) {
  const { startRotorServer = startRotor, startBare = startBareServer, startMotoServer = startMoto } = deps
  return {
    name: 'get-secret-value',
    summary: 'GetSecretValue req/s and latency: Rotor vs bare node:http vs moto',

    async run({ log }) {
      const settings = readSettings()
      const secretString = makeSecretString()

      log(`starting Rotor and moto_server...`)
      const [rotor, moto] = await Promise.all([startRotorServer(), startMotoServer()])
      log(`  rotor ${rotor.url}, moto ${moto.url}`)
      await Promise.all([createSecret(rotor, secretString), createSecret(moto, secretString)])
      log(`created ${SECRET_NAME} (SecretString ${Buffer.byteLength(secretString)} bytes) in both`)

      // The bare server replays Rotor's own response bytes, so both put the same payload on the wire.
      const [probe] = await signPool(rotor, 1)
      const captured = await sanityCheck(rotor, probe, secretString)
      const bare = await startBare({ responseBody: captured.body, contentType: captured.headers['content-type'] })
      log(`  bare-node-http ${bare.url} (replays Rotor's ${captured.body.length}-byte response body)`)

      const plan = [
        { server: rotor, durationSec: settings.durationSec },
        { server: bare, durationSec: settings.durationSec },
        { server: moto, durationSec: settings.motoDurationSec },
      ]
      const results = {}
      for (const { server, durationSec } of plan) {
        // Fresh signatures per target: SigV4 accepts a request for 5 minutes after x-amz-date.
        const pool = await signPool(server, settings.poolSize)
        const check = await sanityCheck(server, pool[0], secretString)
        await sanityCheck(server, pool[pool.length - 1], secretString)
        // A server that closes every connection (moto) is driven the way real clients meet it:
        // one connection per request. Everything else gets keep-alive connections.
        const connectionMode = check.headers.connection === 'close' ? 'connection-per-request' : 'keep-alive'
        log(`${server.name}: ${settings.warmupSec} s warm-up + ${durationSec} s measured, ${settings.connections} ${connectionMode} connections...`)
        const result = await runLoad({
          url: server.url,
          requests: pool,
          connections: settings.connections,
          durationSec,
          warmupSec: settings.warmupSec,
          connectionMode,
        })
        results[server.name] = { ...result, requestsPerSec: Math.round(result.requestsPerSec * 10) / 10 }
        // Idle servers cost little, but a stopped one costs nothing during the next run.
        await server.stop()
      }

      const ratios = RATIO_TARGETS.map(({ name, numerator, denominator, target }) => {
        const value = results[numerator].requestsPerSec / results[denominator].requestsPerSec
        return { name, value: Number(value.toFixed(3)), target, met: value >= target }
      })
      const failedTargets = Object.entries(results)
        .filter(([, r]) => r.non2xx > 0 || r.errors > 0)
        .map(([name]) => name)

      const report = [
        `GetSecretValue, ${settings.connections} connections, pipelining 1, ${settings.warmupSec} s warm-up, ` +
          `${settings.poolSize} pre-signed SigV4 requests per target`,
        '',
        formatTable(
          ['target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'measured', 'client'],
          Object.entries(results).map(([name, r]) => [
            name,
            formatNumber(r.requestsPerSec),
            formatNumber(r.p50Ms),
            formatNumber(r.p99Ms),
            formatNumber(r.non2xx),
            formatNumber(r.errors),
            `${formatNumber(r.durationSec, 1)} s`,
            r.client,
          ]),
        ),
        '',
        formatTable(
          ['throughput ratio', 'measured', 'target', ''],
          ratios.map((r) => [r.name, formatNumber(r.value, r.value < 10 ? 2 : 1), `>= ${r.target}`, r.met ? 'met' : 'not met']),
        ),
      ]
      if (failedTargets.length > 0) {
        report.push('', `FAILED: non-2xx responses or errors from ${failedTargets.join(', ')}`)
        for (const name of failedTargets) report.push(`  ${name} status codes: ${JSON.stringify(results[name].statusCodes)}`)
      }

      return {
        ok: failedTargets.length === 0,
        text: report.join('\n'),
        data: {
          settings,
          secretStringBytes: Buffer.byteLength(secretString),
          responseBodyBytes: captured.body.length,
          targets: results,
          ratios,
        },
      }
    },
  }
}

export default createGetSecretValueBenchmark()
