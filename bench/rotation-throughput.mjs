// Rotation throughput: how many complete rotations per second Rotor's engine runs with the
// built-in random rotator, next to the raw PutSecretValue throughput of the same server in the
// same run (a rotation writes a version too, plus four persisted steps).
//
// Setup (not timed): 10,000 secrets + 1,000 for the PutSecretValue baseline, created through the
// API; a `random` function registered with `rotor functions create`.
// (a) PutSecretValue: 64 keep-alive connections, each request signed individually (its own
//     ClientRequestToken), 2 s warm-up + 10 s measured.
// (b) RotateSecret once for each of the 10,000 secrets (64 at a time); the clock runs from the
//     first RotateSecret sent to the finish of the last rotation (rotations.finished_at, read from
//     the database through a read-only connection that polls every 100 ms).
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager'
import { cpuSeconds } from './lib/proc-stats.mjs'
import { openRotorDb, distribution } from './lib/rotor-db.mjs'
import { runRotorCli, startRotor } from './lib/servers.mjs'
import { formatNumber, formatTable } from './lib/table.mjs'
import { runUniqueLoad } from './lib/unique-load.mjs'
import { envNumber } from './lib/settings.mjs'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const TARGET_ROTATIONS_PER_SEC = 500

export function readSettings() {
  return {
    rotationSecrets: envNumber('BENCH_ROTATION_SECRETS', 10_000),
    putSecrets: envNumber('BENCH_PUT_SECRETS', 1_000),
    connections: envNumber('BENCH_CONNECTIONS', 64),
    warmupSec: envNumber('BENCH_WARMUP', 2),
    durationSec: envNumber('BENCH_DURATION', 10),
    // Give up waiting for the rotations after this long (they are reported as unfinished).
    rotationTimeoutSec: envNumber('BENCH_ROTATION_TIMEOUT', 600),
  }
}

/** A database-credentials JSON of ~130 bytes; `{password}` is filled per request. */
const SECRET_STRING_TEMPLATE = JSON.stringify({
  engine: 'postgres',
  host: 'orders-db.internal.example',
  port: 5432,
  username: 'orders_app',
  password: '{password}',
  dbname: 'orders',
})

const names = (prefix, count) => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`)

function signedOptions(server) {
  return { url: server.url, region: server.region, credentials: server.credentials }
}

/** CreateSecret for every name, 64 at a time; all must answer 200. */
export async function createSecrets(server, secretNames, connections) {
  const result = await runUniqueLoad({
    ...signedOptions(server),
    mode: 'all',
    count: secretNames.length,
    connections,
    target: 'secretsmanager.CreateSecret',
    names: secretNames,
    template: { Name: '{name}', ClientRequestToken: '{uuid}', SecretString: SECRET_STRING_TEMPLATE },
  })
  if (result.non2xx > 0 || result.errors > 0 || result.completed !== secretNames.length) {
    throw new Error(`creating ${secretNames.length} secrets: ${result.completed} answered, ${result.non2xx} non-2xx, ${result.errors} errors; first: ${JSON.stringify(result.failures)}`)
  }
  return result
}

export async function registerRandomFunction(dataDir, name = 'bench-random') {
  const output = await runRotorCli(['functions', 'create', name, '--builtin', 'random', '--config', '{"field":"password"}', '--data-dir', dataDir, '-o', 'json'])
  const arn = JSON.parse(output).FunctionArn
  if (typeof arn !== 'string') throw new Error(`rotor functions create printed no FunctionArn: ${output}`)
  return arn
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls the rotations table until every expected rotation ended or the timeout passed. */
async function waitForRotations(db, expected, timeoutMs, loadDone, log) {
  const count = db.prepare(
    "SELECT count(*) AS total, coalesce(sum(state = 'succeeded'), 0) AS succeeded, coalesce(sum(state = 'failed'), 0) AS failed FROM rotations",
  )
  const deadline = Date.now() + timeoutMs
  let lastLog = Date.now()
  for (;;) {
    const row = count.get()
    if ((row.succeeded + row.failed >= expected && loadDone()) || Date.now() > deadline) return { ...row, timedOut: Date.now() > deadline }
    if (Date.now() - lastLog >= 5000) {
      log(`  ${formatNumber(row.succeeded)} of ${formatNumber(expected)} rotations finished (${formatNumber(row.total)} started)`)
      lastLog = Date.now()
    }
    await sleep(100)
  }
}

/** DescribeSecret for a few secrets: the rotation's version must be AWSCURRENT, LastRotatedDate set. */
async function verifyThroughApi(server, db, sampleNames) {
  const client = new SecretsManagerClient({ endpoint: server.url, region: server.region, credentials: server.credentials, maxAttempts: 1 })
  const latest = db.prepare(
    "SELECT r.version_id, r.state FROM rotations r JOIN secrets s ON s.arn = r.secret_arn WHERE s.name = ? ORDER BY r.created_at DESC LIMIT 1",
  )
  try {
    for (const name of sampleNames) {
      const rotation = latest.get(name)
      const described = await client.send(new DescribeSecretCommand({ SecretId: name }))
      const stages = described.VersionIdsToStages?.[rotation?.version_id] ?? []
      if (rotation?.state !== 'succeeded' || !stages.includes('AWSCURRENT') || !described.LastRotatedDate) {
        throw new Error(`${name}: rotation ${rotation?.version_id} is ${rotation?.state}, stages ${JSON.stringify(stages)}, LastRotatedDate ${described.LastRotatedDate}`)
      }
      const value = await client.send(new GetSecretValueCommand({ SecretId: name }))
      if (value.VersionId !== rotation.version_id || typeof JSON.parse(value.SecretString).password !== 'string') {
        throw new Error(`${name}: GetSecretValue returned version ${value.VersionId}, expected ${rotation.version_id}`)
      }
    }
  } finally {
    client.destroy()
  }
}

export function createRotationThroughputBenchmark() {
  return {
    name: 'rotation-throughput',
    summary: 'rotations/s with the random rotator over 10,000 secrets, beside PutSecretValue/s',

    async run({ log }) {
      const settings = readSettings()
      log('starting Rotor...')
      const rotor = await startRotor()
      log(`  rotor ${rotor.url}, data dir ${rotor.dataDir}`)

      const rotationNames = names('bench/rotation/', settings.rotationSecrets)
      const putNames = names('bench/put/', settings.putSecrets)
      // The server's own CPU use per phase (% of one core): below 100% while requests queue means
      // it is waiting (on fsync, on timers), not computing.
      const serverCpu = {}
      const measureCpu = async (phase, work) => {
        const cpu = cpuSeconds(rotor.pid)
        const wall = performance.now()
        try {
          return await work()
        } finally {
          serverCpu[phase] = Math.round((1000 * (cpuSeconds(rotor.pid) - cpu)) / ((performance.now() - wall) / 1000)) / 10
        }
      }
      const setupStarted = performance.now()
      const created = await measureCpu('createSecret', () => createSecrets(rotor, [...rotationNames, ...putNames], settings.connections))
      const setupSec = (performance.now() - setupStarted) / 1000
      log(`created ${formatNumber(created.completed)} secrets in ${setupSec.toFixed(1)} s (${formatNumber(created.requestsPerSec)} CreateSecret/s, setup)`)
      const functionArn = await registerRandomFunction(rotor.dataDir)
      log(`registered ${functionArn} (builtin random, field "password")`)

      // (a) the baseline: raw PutSecretValue on its own secrets.
      log(`PutSecretValue: ${settings.warmupSec} s warm-up + ${settings.durationSec} s measured, ${settings.connections} connections, ${formatNumber(putNames.length)} secrets...`)
      const puts = await measureCpu('putSecretValue', () => runUniqueLoad({
        ...signedOptions(rotor),
        mode: 'timed',
        warmupSec: settings.warmupSec,
        durationSec: settings.durationSec,
        connections: settings.connections,
        target: 'secretsmanager.PutSecretValue',
        names: putNames,
        template: { SecretId: '{name}', ClientRequestToken: '{uuid}', SecretString: SECRET_STRING_TEMPLATE },
      }))
      log(`  ${formatNumber(puts.requestsPerSec)} puts/s, p50 ${puts.p50Ms} ms, p99 ${puts.p99Ms} ms${puts.exhausted ? ' (signed pool ran out early)' : ''}`)

      // (b) rotations: one RotateSecret per secret, then wait for every rotation to end.
      const db = openRotorDb(rotor.dataDir)
      let loadDone = false
      log(`RotateSecret for ${formatNumber(rotationNames.length)} secrets (${settings.connections} at a time), waiting for every rotation to finish...`)
      const rotateCalls = runUniqueLoad({
        ...signedOptions(rotor),
        mode: 'all',
        count: rotationNames.length,
        connections: settings.connections,
        target: 'secretsmanager.RotateSecret',
        names: rotationNames,
        template: { SecretId: '{name}', ClientRequestToken: '{uuid}', RotationLambdaARN: functionArn },
      }).finally(() => { loadDone = true })
      let rotate
      let waited
      try {
        ;[rotate, waited] = await measureCpu('rotations', () => Promise.all([
          rotateCalls,
          waitForRotations(db, rotationNames.length, settings.rotationTimeoutSec * 1000, () => loadDone, log),
        ]))
      } catch (error) {
        db.close()
        throw error
      }

      const span = db.prepare("SELECT min(created_at) AS firstCreated, max(finished_at) AS lastFinished FROM rotations WHERE state = 'succeeded'").get()
      const durations = db.prepare("SELECT finished_at - created_at AS ms FROM rotations WHERE state = 'succeeded'").pluck().all()
      const retried = db.prepare('SELECT count(*) FROM rotations WHERE attempt > 1').pluck().get()
      const failedMessages = db.prepare("SELECT last_error FROM rotations WHERE state = 'failed' LIMIT 3").pluck().all()
      const elapsedSec = (span.lastFinished - rotate.firstSentAt) / 1000
      const rotationsPerSec = waited.succeeded > 0 ? waited.succeeded / elapsedSec : 0
      const rotationLatency = distribution(durations)
      if (waited.succeeded === rotationNames.length) {
        await verifyThroughApi(rotor, db, [rotationNames[0], rotationNames[Math.floor(rotationNames.length / 2)], rotationNames.at(-1)])
        log('  checked through DescribeSecret/GetSecretValue: the rotated versions are AWSCURRENT')
      }
      db.close()
      await rotor.stop()

      const ratio = puts.requestsPerSec > 0 ? rotationsPerSec / puts.requestsPerSec : 0
      const problems = []
      if (puts.non2xx > 0 || puts.errors > 0) problems.push(`PutSecretValue: ${puts.non2xx} non-2xx, ${puts.errors} errors ${JSON.stringify(puts.failures)}`)
      if (rotate.non2xx > 0 || rotate.errors > 0) problems.push(`RotateSecret: ${rotate.non2xx} non-2xx, ${rotate.errors} errors ${JSON.stringify(rotate.failures)}`)
      if (waited.failed > 0) problems.push(`${waited.failed} rotations failed, e.g. ${JSON.stringify(failedMessages)}`)
      if (waited.succeeded < rotationNames.length) problems.push(`only ${waited.succeeded} of ${rotationNames.length} rotations succeeded${waited.timedOut ? ` within ${settings.rotationTimeoutSec} s` : ''}`)

      const r1 = (v) => Math.round(v * 10) / 10
      const report = [
        `${formatNumber(rotationNames.length)} secrets rotated once each with the built-in random rotator (field "password");`,
        `PutSecretValue baseline on ${formatNumber(putNames.length)} other secrets. ${settings.connections} keep-alive connections,`,
        'every request SigV4-signed individually with its own ClientRequestToken.',
        '',
        formatTable(
          ['measurement', 'per second', 'p50 ms', 'p99 ms', 'count', 'elapsed', 'non-2xx', 'errors'],
          [
            ['PutSecretValue', formatNumber(puts.requestsPerSec), formatNumber(puts.p50Ms, 1), formatNumber(puts.p99Ms, 1), formatNumber(puts.completed), `${formatNumber(puts.durationSec, 1)} s`, formatNumber(puts.non2xx), formatNumber(puts.errors)],
            ['RotateSecret calls', formatNumber(rotate.requestsPerSec), formatNumber(rotate.p50Ms, 1), formatNumber(rotate.p99Ms, 1), formatNumber(rotate.completed), `${formatNumber(rotate.durationSec, 1)} s`, formatNumber(rotate.non2xx), formatNumber(rotate.errors)],
            ['rotations (complete)', formatNumber(rotationsPerSec), formatNumber(rotationLatency.p50), formatNumber(rotationLatency.p99), formatNumber(waited.succeeded), `${formatNumber(elapsedSec, 1)} s`, '-', formatNumber(waited.failed)],
          ],
        ),
        '',
        'rotations: from the first RotateSecret sent to the last rotation finished (finishSecret persisted);',
        'p50/p99 there are per-rotation times from start (RotateSecret accepted) to finish.',
        `${formatNumber(retried)} rotations needed a retried step. Server CPU (% of one core): ${serverCpu.createSecret}% during setup,`,
        `${serverCpu.putSecretValue}% during PutSecretValue (warm-up included), ${serverCpu.rotations}% during the rotations.`,
        '',
        formatTable(
          ['figure', 'measured', 'target', ''],
          [
            ['rotations/s', formatNumber(rotationsPerSec), `>= ${TARGET_ROTATIONS_PER_SEC}`, rotationsPerSec >= TARGET_ROTATIONS_PER_SEC ? 'met' : 'not met'],
            ['rotations/s / puts/s', formatNumber(ratio, 2), '', ''],
          ],
        ),
      ]
      if (problems.length > 0) report.push('', ...problems.map((p) => `FAILED: ${p}`))

      return {
        ok: problems.length === 0,
        text: report.join('\n'),
        data: {
          settings,
          setup: { secrets: created.completed, seconds: r1(setupSec), createSecretPerSec: r1(created.requestsPerSec) },
          putSecretValue: { requestsPerSec: r1(puts.requestsPerSec), p50Ms: puts.p50Ms, p99Ms: puts.p99Ms, completed: puts.completed, durationSec: puts.durationSec, non2xx: puts.non2xx, errors: puts.errors, poolExhausted: puts.exhausted },
          rotateSecretCalls: { requestsPerSec: r1(rotate.requestsPerSec), p50Ms: rotate.p50Ms, p99Ms: rotate.p99Ms, completed: rotate.completed, non2xx: rotate.non2xx, errors: rotate.errors },
          rotations: {
            succeeded: waited.succeeded,
            failed: waited.failed,
            retried,
            elapsedSec: r1(elapsedSec),
            rotationsPerSec: r1(rotationsPerSec),
            perRotationMs: rotationLatency,
          },
          ratioRotationsToPuts: Number(ratio.toFixed(3)),
          serverCpuPercent: serverCpu,
          target: { rotationsPerSec: TARGET_ROTATIONS_PER_SEC, met: rotationsPerSec >= TARGET_ROTATIONS_PER_SEC },
        },
      }
    },
  }
}

export default createRotationThroughputBenchmark()
