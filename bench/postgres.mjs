// GetSecretValue and rotation throughput on PostgreSQL with 1 and 3 replicas, beside the SQLite
// figures of the same run, so the three columns come from one machine in one state.
//
// Configurations, each on fresh storage:
//   sqlite        one `rotor serve` on a fresh data dir (the default store)
//   postgres-1    one `rotor serve --database <fresh database>`
//   postgres-3    three `rotor serve --database <another fresh database>`, same ROTOR_ROOT_KEY,
//                 each its own data dir; the load is spread evenly: one load generator per
//                 replica, each with a third of the connections (GetSecretValue), and the
//                 secrets to rotate dealt round-robin to the three (RotateSecret)
// Per configuration:
//   (a) GetSecretValue of one ~130-byte secret: signed pools (500 distinct signatures per
//       replica), warm-up + measured window, autocannon in its own process per replica.
//   (b) RotateSecret once for each of N secrets (2,000 by default) with the built-in random
//       rotator; the clock runs from the first RotateSecret sent to the last rotation's
//       `finished_at`, read from the database.
import { randomBytes } from 'node:crypto'
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import pg from 'pg'
import { runLoad } from './lib/load.mjs'
import { openRotorDb } from './lib/rotor-db.mjs'
import { makeTempDir } from './lib/cleanup.mjs'
import { runRotorCli, startRotor } from './lib/servers.mjs'
import { envNumber } from './lib/settings.mjs'
import { sendSigned, signRequestPool } from './lib/sigv4.mjs'
import { formatNumber, formatTable } from './lib/table.mjs'
import { runUniqueLoad } from './lib/unique-load.mjs'
import { createSecrets } from './rotation-throughput.mjs'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const SECRET_NAME = 'bench/pg/orders-db/credentials'

export function readSettings() {
  return {
    // Any database on the server works: the bench creates (and drops) its own two databases.
    maintenanceUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    replicas: envNumber('BENCH_PG_REPLICAS', 3),
    rotationSecrets: envNumber('BENCH_PG_ROTATION_SECRETS', 2_000),
    connections: envNumber('BENCH_CONNECTIONS', 64),
    warmupSec: envNumber('BENCH_WARMUP', 2),
    durationSec: envNumber('BENCH_PG_DURATION', 8),
    poolSize: envNumber('BENCH_POOL_SIZE', 500),
    rotationTimeoutSec: envNumber('BENCH_ROTATION_TIMEOUT', 300),
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const r1 = (value) => Math.round(value * 10) / 10
const names = (prefix, count) => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`)
/** `list` dealt round-robin into `parts` lists. */
const deal = (list, parts) => Array.from({ length: parts }, (_, p) => list.filter((_, i) => i % parts === p))

function urlOfDatabase(maintenanceUrl, name) {
  const url = new URL(maintenanceUrl)
  url.pathname = `/${name}`
  return url.toString()
}

async function onDatabase(url, work) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** A fresh database, dropped (WITH FORCE, cutting off anything left) by the returned function. */
async function createDatabase(maintenanceUrl) {
  const name = `rotor_bench_${randomBytes(6).toString('hex')}`
  await onDatabase(maintenanceUrl, (client) => client.query(`CREATE DATABASE "${name}"`))
  return {
    url: urlOfDatabase(maintenanceUrl, name),
    drop: () => onDatabase(maintenanceUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  }
}

/** Rotation counts from whichever store the servers share. */
function sqliteRotations(dataDir) {
  const db = openRotorDb(dataDir)
  return {
    async counts() {
      return db.prepare("SELECT count(*) AS total, coalesce(sum(state = 'succeeded'), 0) AS succeeded, coalesce(sum(state = 'failed'), 0) AS failed FROM rotations").get()
    },
    async lastFinished() {
      return db.prepare("SELECT max(finished_at) AS at FROM rotations WHERE state = 'succeeded'").get().at
    },
    async close() { db.close() },
  }
}

async function postgresRotations(url) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  return {
    async counts() {
      const { rows } = await client.query("SELECT count(*)::int AS total, count(*) FILTER (WHERE state = 'succeeded')::int AS succeeded, count(*) FILTER (WHERE state = 'failed')::int AS failed FROM rotations")
      return rows[0]
    },
    async lastFinished() {
      const { rows } = await client.query("SELECT max(finished_at)::float8 AS at FROM rotations WHERE state = 'succeeded'")
      return rows[0].at
    },
    close: () => client.end(),
  }
}

/** Starts the servers of one configuration; resolves with them and the store's reader. */
async function startConfiguration(kind, settings, log) {
  if (kind === 'sqlite') {
    const server = await startRotor({ name: 'sqlite' })
    return { servers: [server], cliArgs: ['--data-dir', server.dataDir], cliEnv: {}, rotations: sqliteRotations(server.dataDir), drop: async () => {} }
  }
  const count = kind === 'postgres-1' ? 1 : settings.replicas
  const database = await createDatabase(settings.maintenanceUrl)
  // Every replica must run under the same root key; the environment is how a deployment gives it.
  const env = { ROTOR_ROOT_KEY: randomBytes(32).toString('base64') }
  try {
    // The first replica migrates the database and creates the admin key (it writes the
    // credentials file); the others join with that key.
    const first = await startRotor({ name: `${kind}#1`, database: database.url, env })
    const others = await Promise.all(Array.from({ length: count - 1 }, async (_, i) =>
      startRotor({ name: `${kind}#${i + 2}`, database: database.url, env, dataDir: await makeTempDir('rotor-bench-'), credentials: first.credentials })))
    log(`  ${count} replica(s) on ${new URL(database.url).pathname.slice(1)}: ${[first, ...others].map((s) => s.url).join(', ')}`)
    return { servers: [first, ...others], cliArgs: ['--data-dir', first.dataDir, '--database', database.url], cliEnv: env, rotations: await postgresRotations(database.url), drop: database.drop }
  } catch (error) {
    await database.drop().catch(() => {})
    throw error
  }
}

async function createReadSecret(server) {
  const client = new SecretsManagerClient({ endpoint: server.url, region: server.region, credentials: server.credentials, maxAttempts: 1 })
  try {
    await client.send(new CreateSecretCommand({ Name: SECRET_NAME, SecretString: JSON.stringify({ engine: 'postgres', host: 'orders-db.internal.example', port: 5432, username: 'orders_app', password: randomBytes(24).toString('base64url'), dbname: 'orders' }) }))
  } finally {
    client.destroy()
  }
}

/** GetSecretValue against every server at once, one load generator per server. */
async function measureReads(servers, settings) {
  const pools = []
  for (const server of servers) {
    // Host is signed, so every replica gets its own pool.
    const pool = await signRequestPool({ url: server.url, region: server.region, credentials: server.credentials, target: 'secretsmanager.GetSecretValue', payload: { SecretId: SECRET_NAME }, count: settings.poolSize })
    const check = await sendSigned(server.url, pool[0])
    if (check.status !== 200) throw new Error(`${server.name}: GetSecretValue sanity check answered ${check.status}: ${check.body.toString('utf8').slice(0, 200)}`)
    pools.push(pool)
  }
  const connections = Math.max(1, Math.round(settings.connections / servers.length))
  const results = await Promise.all(servers.map((server, i) => runLoad({
    url: server.url,
    requests: pools[i],
    connections,
    durationSec: settings.durationSec,
    warmupSec: settings.warmupSec,
  })))
  return {
    requestsPerSec: r1(results.reduce((sum, r) => sum + r.requestsPerSec, 0)),
    // With several generators, the worst replica's percentiles (autocannon histograms cannot be merged here).
    p50Ms: Math.max(...results.map((r) => r.p50Ms)),
    p99Ms: Math.max(...results.map((r) => r.p99Ms)),
    perServer: results.map((r) => r1(r.requestsPerSec)),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
  }
}

/** RotateSecret for every secret (dealt round-robin over the servers); waits for every rotation to end. */
async function measureRotations(config, rotationNames, functionArn, settings, log) {
  const { servers, rotations } = config
  let sent = 0
  const connections = Math.max(1, Math.round(settings.connections / servers.length))
  const calls = Promise.all(deal(rotationNames, servers.length).map((share, i) => runUniqueLoad({
    url: servers[i].url,
    region: servers[i].region,
    credentials: servers[i].credentials,
    mode: 'all',
    count: share.length,
    connections,
    target: 'secretsmanager.RotateSecret',
    names: share,
    template: { SecretId: '{name}', ClientRequestToken: '{uuid}', RotationLambdaARN: functionArn },
  }))).finally(() => { sent = 1 })
  const deadline = Date.now() + settings.rotationTimeoutSec * 1000
  let counts
  let lastLog = Date.now()
  for (;;) {
    counts = await rotations.counts()
    if ((sent && counts.succeeded + counts.failed >= rotationNames.length) || Date.now() > deadline) break
    if (Date.now() - lastLog >= 5000) {
      log(`    ${formatNumber(counts.succeeded)} of ${formatNumber(rotationNames.length)} rotations finished`)
      lastLog = Date.now()
    }
    await sleep(100)
  }
  const results = await calls
  const firstSentAt = Math.min(...results.map((r) => r.firstSentAt))
  const lastFinished = await rotations.lastFinished()
  const elapsedSec = (lastFinished - firstSentAt) / 1000
  return {
    rotationsPerSec: counts.succeeded > 0 ? r1(counts.succeeded / elapsedSec) : 0,
    succeeded: counts.succeeded,
    failed: counts.failed,
    elapsedSec: r1(elapsedSec),
    timedOut: Date.now() > deadline,
    rotateSecretP99Ms: Math.max(...results.map((r) => r.p99Ms)),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    failures: results.flatMap((r) => r.failures ?? []).slice(0, 3),
  }
}

async function runConfiguration(kind, settings, log) {
  log(`${kind}: starting...`)
  const config = await startConfiguration(kind, settings, log)
  try {
    const [first] = config.servers
    await createReadSecret(first)
    const reads = await measureReads(config.servers, settings)
    log(`  GetSecretValue: ${formatNumber(reads.requestsPerSec)} req/s (${reads.perServer.map((v) => formatNumber(v)).join(' + ')}), p50 ${reads.p50Ms} ms, p99 ${reads.p99Ms} ms`)

    const rotationNames = names(`bench/pg-rotation/`, settings.rotationSecrets)
    const created = await createSecrets(first, rotationNames, settings.connections)
    const output = await runRotorCli(['functions', 'create', 'bench-random', '--builtin', 'random', '--config', '{"field":"password"}', ...config.cliArgs, '-o', 'json'], { env: config.cliEnv })
    const functionArn = JSON.parse(output).FunctionArn
    log(`  created ${formatNumber(created.completed)} secrets (${formatNumber(created.requestsPerSec)} CreateSecret/s, setup); rotating each once...`)
    const rotations = await measureRotations(config, rotationNames, functionArn, settings, log)
    log(`  rotations: ${formatNumber(rotations.rotationsPerSec)}/s (${rotations.succeeded} succeeded, ${rotations.failed} failed in ${rotations.elapsedSec} s)`)
    return { replicas: config.servers.length, getSecretValue: reads, createSecretPerSec: r1(created.requestsPerSec), rotations }
  } finally {
    await config.rotations.close()
    await Promise.all(config.servers.map((server) => server.stop()))
    await config.drop()
  }
}

export default {
  name: 'postgres',
  summary: 'GetSecretValue and rotation throughput: SQLite, PostgreSQL 1 replica, PostgreSQL 3 replicas',

  async run({ log }) {
    const settings = readSettings()
    const kinds = ['sqlite', 'postgres-1', ...(settings.replicas > 1 ? [`postgres-${settings.replicas}`] : [])]
    const results = {}
    for (const kind of kinds) results[kind] = await runConfiguration(kind, settings, log)

    const problems = []
    for (const [kind, r] of Object.entries(results)) {
      if (r.getSecretValue.non2xx || r.getSecretValue.errors) problems.push(`${kind}: GetSecretValue saw ${r.getSecretValue.non2xx} non-2xx and ${r.getSecretValue.errors} errors`)
      if (r.rotations.non2xx || r.rotations.errors) problems.push(`${kind}: RotateSecret saw ${r.rotations.non2xx} non-2xx and ${r.rotations.errors} errors; first: ${JSON.stringify(r.rotations.failures)}`)
      if (r.rotations.failed || r.rotations.timedOut || r.rotations.succeeded < settings.rotationSecrets) problems.push(`${kind}: ${r.rotations.succeeded} of ${settings.rotationSecrets} rotations succeeded, ${r.rotations.failed} failed${r.rotations.timedOut ? ', timed out' : ''}`)
    }
    const column = (pick) => kinds.map((kind) => pick(results[kind]))
    const text = [
      `${formatNumber(settings.rotationSecrets)} rotations per configuration; GetSecretValue: ${settings.connections} connections in all (split evenly over the replicas), ${settings.warmupSec} s warm-up + ${settings.durationSec} s measured.`,
      `Every server, its load generators and PostgreSQL share this machine's cores: with 3 replicas on a 2-core machine they compete for the same 2 cores, so the postgres-${settings.replicas} column measures contention, not scale-out.`,
      '',
      formatTable(['figure', ...kinds], [
        ['GetSecretValue req/s', ...column((r) => formatNumber(r.getSecretValue.requestsPerSec))],
        ['  p50 ms (worst replica)', ...column((r) => String(r.getSecretValue.p50Ms))],
        ['  p99 ms (worst replica)', ...column((r) => String(r.getSecretValue.p99Ms))],
        ['rotations/s', ...column((r) => formatNumber(r.rotations.rotationsPerSec))],
        ['  RotateSecret p99 ms', ...column((r) => String(r.rotations.rotateSecretP99Ms))],
        ['CreateSecret/s (setup)', ...column((r) => formatNumber(r.createSecretPerSec))],
      ]),
    ]
    if (problems.length > 0) text.push('', ...problems.map((p) => `FAILED: ${p}`))
    return { ok: problems.length === 0, text: text.join('\n'), data: { settings: { ...settings, maintenanceUrl: undefined }, results } }
  },
}
