// Runs seed-scheduled.mjs in its own process on a fresh temp data dir (before the server starts).
import { spawn } from 'node:child_process'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeTempDir, trackChild } from './cleanup.mjs'
import { REPO_ROOT } from './servers.mjs'

const SEEDER = join(dirname(fileURLToPath(import.meta.url)), 'seed-scheduled.mjs')

/**
 * @param {{ count: number, dueFromMs: number, dueToMs: number }} options  due times relative to
 *   the moment the seeder starts writing rotation configurations
 * @returns {Promise<{ dataDir: string, seconds: number, functionArn: string, secrets: number,
 *   createSec: number, configSec: number, t0: number, dueFrom: number, dueTo: number }>}
 */
export async function seedScheduledSecrets(options) {
  const dataDir = await makeTempDir('rotor-bench-seeded-')
  const started = performance.now()
  const output = await new Promise((resolve, reject) => {
    const child = trackChild(spawn(process.execPath, [SEEDER, JSON.stringify({ ...options, dataDir })], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }))
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000) })
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(stdout)
      else reject(new Error(`seeding failed (code ${code}, signal ${signal}): ${stderr.trim()}`))
    })
  })
  const result = JSON.parse(output.trim().split('\n').at(-1))
  return { ...result, dataDir, seconds: (performance.now() - started) / 1000 }
}
