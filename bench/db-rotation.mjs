// Database rotation throughput: complete rotations per second of the built-in `postgres`, `mysql`
// and `redis` rotators, each in single-user and alternating-users, beside the built-in `random`
// rotator on the same server in the same run. The ratio engine / random says what talking to a
// real database (logins, password changes, the test login) costs on top of Rotor's own work.
//
// Setup (not timed): one `rotor serve`; a private PostgreSQL cluster (initdb in a temp dir,
// SCRAM-SHA-256 on TCP, so logins cost what they cost in production); MariaDB/MySQL at
// 127.0.0.1:3306 (root, no password, database `test`); Redis at 127.0.0.1:6379 (default user).
// Per engine and strategy: N database users (N = BENCH_DB_SECRETS, 100 by default) and one
// secret each, a master user and its secret; the functions registered with `rotor functions create`.
// Phases, one after another (random, then each engine x strategy): RotateSecret once for every
// secret of the phase (32 at a time), wait until every rotation ended, and again (2 rounds: in
// alternating-users the first round creates the clones, the second only changes passwords). The
// clock runs from the first RotateSecret of a round to the last `finished_at` of that round,
// read from rotor.db; rotations/s = succeeded / summed round time. A sample of secrets is then
// checked: AWSCURRENT logs in to the database.
import { execFile } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CreateSecretCommand, GetSecretValueCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { Redis } from 'ioredis'
import { createConnection } from 'mysql2/promise'
import pg from 'pg'
import { openRotorDb, distribution } from './lib/rotor-db.mjs'
import { freePort, runRotorCli, startRotor } from './lib/servers.mjs'
import { envNumber } from './lib/settings.mjs'
import { formatNumber, formatTable } from './lib/table.mjs'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const run = promisify(execFile)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const r1 = (value) => Math.round(value * 10) / 10
const password = () => randomBytes(18).toString('base64url')

export function readSettings() {
  return {
    secrets: envNumber('BENCH_DB_SECRETS', 100),
    rounds: envNumber('BENCH_DB_ROUNDS', 2),
    concurrency: envNumber('BENCH_DB_CONCURRENCY', 32),
    mysqlHost: process.env.BENCH_MYSQL_HOST ?? '127.0.0.1',
    mysqlPort: envNumber('BENCH_MYSQL_PORT', 3306),
    redisHost: process.env.BENCH_REDIS_HOST ?? '127.0.0.1',
    redisPort: envNumber('BENCH_REDIS_PORT', 6379),
    rotationTimeoutSec: envNumber('BENCH_ROTATION_TIMEOUT', 300),
  }
}

/** `items` in parallel, at most `limit` at a time. */
async function eachLimited(items, limit, work) {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++])
  }))
}

// ---- engines: create users, log in, clean up -------------------------------------------------

/** A private PostgreSQL cluster with SCRAM on TCP (as packages/server/test/db-rotation/support/private-postgres.ts). */
async function startPostgres() {
  const root = '/usr/lib/postgresql'
  const version = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => b - a)[0] : undefined
  const bin = process.env.BENCH_PG_BIN ?? (version ? join(root, version, 'bin') : undefined)
  if (!bin || !existsSync(join(bin, 'initdb'))) throw new Error('initdb not found under /usr/lib/postgresql/*/bin (set BENCH_PG_BIN)')
  const asRoot = userInfo().uid === 0
  const dir = mkdtempSync(join(tmpdir(), 'rotor-bench-pg-'))
  if (asRoot) chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), Number((await run('id', ['-g', 'postgres'])).stdout.trim()))
  const as = (command, args) => (asRoot ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args))
  const data = join(dir, 'data')
  await as(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync', '-E', 'UTF8'])
  const port = await freePort()
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200 -c password_encryption=scram-sha-256`
  await as(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '30', 'start'])
  const admin = async (database = 'postgres') => {
    const client = new pg.Client({ host: dir, port, user: 'postgres', database })
    await client.connect()
    return client
  }
  const setup = await admin()
  await setup.query('CREATE DATABASE app')
  await setup.end()
  const app = await admin('app')
  await app.query('CREATE TABLE items (id serial PRIMARY KEY)')
  const ident = (name) => app.escapeIdentifier(name)
  const literal = (text) => app.escapeLiteral(text)
  // One connection, one statement at a time (setup creates users from several tasks at once).
  let queue = Promise.resolve()
  const query = (sql) => {
    const result = queue.then(() => app.query(sql))
    queue = result.catch(() => {})
    return result
  }
  return {
    kind: 'postgres',
    fields: { engine: 'postgres', host: '127.0.0.1', port, dbname: 'app' },
    selfService: true,
    async createUser(username, secret) {
      await query(`CREATE ROLE ${ident(username)} LOGIN PASSWORD ${literal(secret)}`)
      await query(`GRANT SELECT ON items TO ${ident(username)}`)
    },
    async createMaster(username, secret) {
      await query(`CREATE ROLE ${ident(username)} LOGIN CREATEROLE PASSWORD ${literal(secret)}`)
    },
    async login(username, secret) {
      const client = new pg.Client({ host: '127.0.0.1', port, user: username, password: secret, database: 'app' })
      try {
        await client.connect()
        await client.query('SELECT count(*) FROM items')
        return true
      } catch {
        return false
      } finally {
        await client.end().catch(() => {})
      }
    },
    async cleanup() {
      await app.end().catch(() => {})
      await as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function startMysql(settings, prefix) {
  const admin = await createConnection({ host: settings.mysqlHost, port: settings.mysqlPort, user: 'root', database: 'test' })
  const table = `test.${prefix}_items`
  await admin.query(`CREATE TABLE ${table} (id INT PRIMARY KEY)`)
  const users = []
  const account = (name) => `${admin.escape(name)}@'%'`
  return {
    kind: 'mysql',
    fields: { engine: 'mariadb', host: settings.mysqlHost, port: settings.mysqlPort, dbname: 'test' },
    selfService: true,
    async createUser(username, secret) {
      users.push(username, `${username}_clone`)
      await admin.query(`CREATE USER ${account(username)} IDENTIFIED BY ?`, [secret])
      await admin.query(`GRANT SELECT ON ${table} TO ${account(username)}`)
    },
    async createMaster(username, secret) {
      users.push(username)
      await admin.query(`CREATE USER ${account(username)} IDENTIFIED BY ?`, [secret])
      await admin.query(`GRANT CREATE USER ON *.* TO ${account(username)}`)
      await admin.query(`GRANT SELECT ON mysql.* TO ${account(username)}`)
      await admin.query(`GRANT SELECT ON test.* TO ${account(username)} WITH GRANT OPTION`)
    },
    async login(username, secret) {
      try {
        const connection = await createConnection({ host: settings.mysqlHost, port: settings.mysqlPort, user: username, password: secret, database: 'test' })
        await connection.query(`SELECT count(*) FROM ${table}`)
        await connection.end()
        return true
      } catch {
        return false
      }
    },
    async cleanup() {
      for (const user of users) await admin.query(`DROP USER IF EXISTS ${account(user)}`).catch(() => {})
      await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {})
      await admin.end()
    },
  }
}

async function startRedis(settings, prefix) {
  const admin = new Redis({ host: settings.redisHost, port: settings.redisPort, lazyConnect: true })
  await admin.connect()
  const users = []
  return {
    kind: 'redis',
    fields: { engine: 'redis', host: settings.redisHost, port: settings.redisPort },
    selfService: false,
    async createUser(username, secret) {
      users.push(username, `${username}_clone`)
      await admin.call('ACL', 'SETUSER', username, 'on', `>${secret}`, `~${prefix}:*`, 'resetchannels', '-@all', '+get', '+ping')
    },
    async createMaster(username, secret) {
      users.push(username)
      await admin.call('ACL', 'SETUSER', username, 'on', `>${secret}`, 'resetchannels', '-@all', '+acl', '+ping')
    },
    async login(username, secret) {
      const client = new Redis({ host: settings.redisHost, port: settings.redisPort, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
      client.on('error', () => {})
      try {
        await client.connect()
        await client.call('AUTH', username, secret)
        await client.get(`${prefix}:probe`)
        return true
      } catch {
        return false
      } finally {
        client.disconnect()
      }
    },
    async cleanup() {
      for (const user of users) await admin.call('ACL', 'DELUSER', user).catch(() => {})
      admin.disconnect()
    },
  }
}

// ---- phases -----------------------------------------------------------------------------------

/** Waits until `expected` rotations created since `since` have ended; returns counts and the round's span. */
async function waitForRound(db, since, expected, timeoutMs) {
  const query = db.prepare(
    "SELECT count(*) AS total, coalesce(sum(state = 'succeeded'), 0) AS succeeded, coalesce(sum(state = 'failed'), 0) AS failed, max(finished_at) AS lastFinished FROM rotations WHERE created_at >= ?",
  )
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const row = query.get(since)
    if (row.succeeded + row.failed >= expected || Date.now() > deadline) return { ...row, timedOut: Date.now() > deadline }
    await sleep(50)
  }
}

async function runPhase({ client, db, phase, settings, log }) {
  const rounds = []
  let succeeded = 0
  let failed = 0
  let elapsedMs = 0
  const durations = []
  const failures = []
  for (let round = 1; round <= settings.rounds; round++) {
    // Server clock and this clock are the same machine's; 5 ms of slack for the first insert.
    const since = Date.now() - 5
    const started = Date.now()
    let rejected = 0
    await eachLimited(phase.secrets, settings.concurrency, async (secret) => {
      try {
        await client.send(new RotateSecretCommand({ SecretId: secret.arn, ClientRequestToken: randomUUID(), RotationLambdaARN: phase.functionArn }))
      } catch (error) {
        rejected++
        failures.push(`RotateSecret: ${error.name}: ${error.message}`)
      }
    })
    const waited = await waitForRound(db, since, phase.secrets.length - rejected, settings.rotationTimeoutSec * 1000)
    const roundMs = Math.max(1, waited.lastFinished - started)
    durations.push(...db.prepare("SELECT finished_at - created_at FROM rotations WHERE created_at >= ? AND state = 'succeeded'").pluck().all(since))
    failures.push(...db.prepare("SELECT last_error FROM rotations WHERE created_at >= ? AND state = 'failed' LIMIT 3").pluck().all(since))
    succeeded += waited.succeeded
    failed += waited.failed + rejected
    elapsedMs += roundMs
    rounds.push({ round, succeeded: waited.succeeded, failed: waited.failed, seconds: r1(roundMs / 1000), perSec: r1(waited.succeeded / (roundMs / 1000)), timedOut: waited.timedOut })
    log(`  ${phase.label} round ${round}: ${waited.succeeded} rotations in ${(roundMs / 1000).toFixed(2)} s${waited.failed ? `, ${waited.failed} failed` : ''}`)
  }
  return { succeeded, failed, elapsedMs, perSec: succeeded / (elapsedMs / 1000), latency: distribution(durations), rounds, failures: failures.slice(0, 3) }
}

/** A few secrets of the phase: their AWSCURRENT logs in to the database. */
async function verifyLogins(client, phase) {
  const sample = [phase.secrets[0], phase.secrets[Math.floor(phase.secrets.length / 2)], phase.secrets.at(-1)]
  for (const secret of sample) {
    const value = await client.send(new GetSecretValueCommand({ SecretId: secret.arn }))
    const { username, password: secretPassword } = JSON.parse(value.SecretString)
    if (!(await phase.engine.login(username, secretPassword))) throw new Error(`${phase.label}: the AWSCURRENT credential of ${secret.name} does not log in`)
  }
}

export function createDbRotationBenchmark() {
  return {
    name: 'db-rotation',
    summary: 'rotations/s of the postgres, mysql and redis rotators (both strategies) beside random',

    async run({ log }) {
      const settings = readSettings()
      const prefix = `rb${randomBytes(3).toString('hex')}`
      const engines = []
      let rotor
      let db
      let client
      try {
        log('starting Rotor, a private PostgreSQL cluster, connecting to MariaDB and Redis...')
        rotor = await startRotor()
        engines.push(await startPostgres(), await startMysql(settings, prefix), await startRedis(settings, prefix))
        client = new SecretsManagerClient({ endpoint: rotor.url, region: rotor.region, credentials: rotor.credentials, maxAttempts: 1 })

        const phases = []
        const createSecret = async (name, document) => (await client.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(document) }))).ARN
        const register = async (name, kind, config) => JSON.parse(await runRotorCli(['functions', 'create', name, '--builtin', kind, '--config', JSON.stringify(config), '--data-dir', rotor.dataDir, '-o', 'json'])).FunctionArn

        const setupStarted = Date.now()
        const randomSecrets = Array.from({ length: settings.secrets }, (_, i) => ({ name: `bench/db/random/${String(i).padStart(5, '0')}` }))
        await eachLimited(randomSecrets, 16, async (secret) => {
          secret.arn = await createSecret(secret.name, { engine: 'postgres', host: 'db.internal', port: 5432, username: 'app', password: password(), dbname: 'app' })
        })
        phases.push({ label: 'random', kind: 'random', strategy: '-', functionArn: await register('bench-db-random', 'random', { field: 'password' }), secrets: randomSecrets })
        for (const engine of engines) {
          const master = { username: `${prefix}_master`, password: password() }
          await engine.createMaster(master.username, master.password)
          const masterarn = await createSecret(`bench/db/${engine.kind}/master`, { ...engine.fields, ...master })
          for (const strategy of ['single-user', 'alternating-users']) {
            const short = strategy === 'single-user' ? 's' : 'a'
            const secrets = Array.from({ length: settings.secrets }, (_, i) => ({ username: `${prefix}_${short}${i}`, name: `bench/db/${engine.kind}/${strategy}/${String(i).padStart(5, '0')}` }))
            const useMaster = strategy === 'alternating-users' || !engine.selfService
            await eachLimited(secrets, 8, async (secret) => {
              const secretPassword = password()
              await engine.createUser(secret.username, secretPassword)
              secret.arn = await createSecret(secret.name, { ...engine.fields, username: secret.username, password: secretPassword, ...(useMaster ? { masterarn } : {}) })
            })
            const functionArn = await register(`bench-db-${engine.kind}-${short}`, engine.kind, { strategy })
            phases.push({ label: `${engine.kind} ${strategy}`, kind: engine.kind, strategy, engine, functionArn, secrets, useMaster })
          }
        }
        log(`setup: ${phases.reduce((n, phase) => n + phase.secrets.length, 0)} secrets and their database users in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s`)

        db = openRotorDb(rotor.dataDir)
        const results = []
        for (const phase of phases) {
          const result = await runPhase({ client, db, phase, settings, log })
          if (phase.engine && result.failed === 0) await verifyLogins(client, phase)
          results.push({ phase, result })
        }

        const baseline = results[0].result.perSec
        const problems = results.filter(({ result }) => result.failed > 0).map(({ phase, result }) => `${phase.label}: ${result.failed} rotations failed, e.g. ${JSON.stringify(result.failures)}`)
        const rows = results.map(({ phase, result }) => [
          phase.kind,
          phase.strategy,
          phase.engine ? (phase.useMaster ? 'master' : 'self') : '-',
          formatNumber(result.succeeded),
          `${formatNumber(result.elapsedMs / 1000, 2)} s`,
          formatNumber(result.perSec, 1),
          formatNumber(result.latency.p50),
          formatNumber(result.latency.p99),
          formatNumber(result.perSec / baseline, 3),
        ])
        const text = [
          `${settings.secrets} secrets per row, each rotated ${settings.rounds} times (rounds one after another; RotateSecret ${settings.concurrency} at a time).`,
          'PostgreSQL: a private cluster with SCRAM-SHA-256 logins; MariaDB and Redis: the machine\'s servers.',
          '',
          formatTable(['engine', 'strategy', 'changed by', 'rotations', 'elapsed', 'rotations/s', 'p50 ms', 'p99 ms', 'ratio to random'], rows),
          '',
          'elapsed: per round, from the first RotateSecret sent to the last rotation finished, summed over the rounds;',
          'p50/p99: per-rotation time from RotateSecret accepted to finishSecret persisted. "changed by": master user or the user itself.',
          ...problems.map((p) => `FAILED: ${p}`),
        ].join('\n')
        return {
          ok: problems.length === 0,
          text,
          data: {
            settings,
            results: results.map(({ phase, result }) => ({
              engine: phase.kind,
              strategy: phase.strategy,
              rotations: result.succeeded,
              failed: result.failed,
              elapsedSec: r1(result.elapsedMs / 1000),
              rotationsPerSec: r1(result.perSec),
              ratioToRandom: Number((result.perSec / baseline).toFixed(3)),
              perRotationMs: result.latency,
              rounds: result.rounds,
            })),
          },
        }
      } finally {
        db?.close()
        client?.destroy()
        await rotor?.stop()
        for (const engine of engines) await engine.cleanup().catch(() => {})
      }
    },
  }
}

export default createDbRotationBenchmark()
