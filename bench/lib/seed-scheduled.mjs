#!/usr/bin/env node
// Seeds a Rotor data directory with many secrets that have a rotation schedule, before the
// server starts, through the server's own modules (packages/server/dist): the same services the
// API calls, the same cipher under the same root key, the same store. Creating 100,000 secrets
// through HTTP + SigV4 takes minutes; here it takes seconds, and the rows are the same.
//
//   node bench/lib/seed-scheduled.mjs '{"dataDir": "...", "count": 100000, "dueFromMs": 30000, "dueToMs": 300000}'
//
// What is written:
// - the data directory as `rotor serve` creates it on first start (root key, admin key,
//   credentials file), via openDataDir;
// - a `random` function (`rotor functions create bench-random --builtin random --config
//   '{"field":"password"}'`), via the same registry service the CLI uses;
// - `count` secrets `bench/scheduled/NNNNNN` with a ~130-byte JSON SecretString, via the
//   CreateSecret service (what the CreateSecret API calls, actor = the admin key);
// - for each secret the rotation configuration that RotateSecret with RotationLambdaARN,
//   RotationRules {ScheduleExpression: 'rate(1 day)'} and RotateImmediately=false stores when it
//   is called at `due - 1 day`: anchor = that call's time, NextRotationDate = anchor + 1 day = due
//   (checked against the server's own computeNextRotationAt). The due times are spread evenly
//   over [t0 + dueFromMs, t0 + dueToMs), t0 = the moment this step starts, in shuffled order.
//   Not written: the testSecret-only rotation such a call would also have run (and its
//   audit row); it would have finished long before the due time and plays no part in scheduling.
//
// Prints one JSON line: { functionArn, secrets, createSec, configSec, t0, dueFrom, dueTo }.
import { randomBytes, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { REPO_ROOT } from './servers.mjs'

const dist = (path) => import(pathToFileURL(join(REPO_ROOT, 'packages', 'server', 'dist', path)).href)

const DAY_MS = 86_400_000
const RULES = { ScheduleExpression: 'rate(1 day)' }

/** Runs `work(i)` for i in [0, count) with at most `limit` in flight (the store group-commits them). */
async function pool(count, limit, work) {
  let next = 0
  async function lane() {
    while (next < count) await work(next++)
  }
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane))
}

function shuffled(count) {
  const order = Array.from({ length: count }, (_, i) => i)
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  return order
}

export async function seed({ dataDir, count, dueFromMs, dueToMs, functionName = 'bench-random' }) {
  const [{ loadConfig }, { openDataDir }, { systemClock }, { createCreateSecret }, { createRotationFunctions }, { builtinRotators }, { secretValueOf }, { computeNextRotationAt }] =
    await Promise.all([
      dist('config/config.js'),
      dist('data-dir.js'),
      dist('ports/clock.js'),
      dist('services/create-secret.js'),
      dist('services/rotation-functions.js'),
      dist('adapters/rotators/index.js'),
      dist('http/aws-json/shapes.js'),
      dist('services/rotation-schedule-state.js'),
    ])
  const config = loadConfig({ flags: { dataDir, logLevel: 'silent' } })
  const dir = await openDataDir(config, systemClock)
  try {
    const deps = { store: dir.store, cipher: dir.cipher, clock: systemClock, installation: dir.installation }
    const actor = dir.createdAdminKey?.accessKeyId ?? 'bench-seed'
    const functions = createRotationFunctions({ functions: dir.store, cipher: dir.cipher, clock: systemClock, installation: dir.installation, builtins: builtinRotators })
    const fn = await functions.create({ name: functionName, builtin: 'random', config: { field: 'password' } })

    const createSecret = createCreateSecret(deps)
    const arns = new Array(count)
    const createStarted = performance.now()
    await pool(count, 256, async (i) => {
      const secretString = JSON.stringify({
        engine: 'postgres',
        host: 'orders-db.internal.example',
        port: 5432,
        username: 'orders_app',
        password: randomBytes(24).toString('base64url'),
        dbname: 'orders',
      })
      const created = await createSecret(
        { Name: `bench/scheduled/${String(i).padStart(6, '0')}`, ClientRequestToken: randomUUID(), Value: secretValueOf({ SecretString: secretString }) },
        { actor },
      )
      arns[i] = created.ARN
    })
    const createSec = (performance.now() - createStarted) / 1000

    const configStarted = performance.now()
    const t0 = Date.now()
    const dueFrom = t0 + dueFromMs
    const span = dueToMs - dueFromMs
    const order = shuffled(count)
    await pool(count, 256, async (i) => {
      const arn = arns[order[i]]
      const due = dueFrom + Math.floor((span * i) / count)
      const anchorAt = due - DAY_MS
      const rotationConfig = {
        enabled: true,
        functionArn: fn.FunctionArn,
        rules: RULES,
        timeZone: undefined,
        spread: false,
        resetOnManualChange: true,
        lastRotatedAt: undefined,
        nextRotationAt: undefined,
        anchorAt,
      }
      const nextRotationAt = computeNextRotationAt(rotationConfig, arn, anchorAt, anchorAt)
      if (nextRotationAt !== due) throw new Error(`computeNextRotationAt gave ${nextRotationAt}, expected ${due}`)
      await dir.store.transaction((tx) => tx.setRotationConfig(arn, { ...rotationConfig, nextRotationAt }))
    })
    const configSec = (performance.now() - configStarted) / 1000
    return { functionArn: fn.FunctionArn, secrets: count, createSec, configSec, t0, dueFrom, dueTo: t0 + dueToMs }
  } finally {
    await dir.close()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = JSON.parse(process.argv[2] ?? '{}')
  seed(options).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error) => {
      process.stderr.write(`${error?.stack ?? error}\n`)
      process.exit(1)
    },
  )
}
