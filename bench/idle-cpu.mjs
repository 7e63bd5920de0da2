// Idle cost: CPU and memory of a server holding 100,000 scheduled secrets with nothing due in
// the next hour (every NextRotationDate between +2 h and +3 h). The scheduler should sleep until
// the earliest due time (capped at its longest sleep) rather than scan the schedules.
//
// Setup: the data dir is seeded before the server starts (lib/seed-scheduled.mjs, as for
// scheduler-lateness). The server then settles for 5 s, and its own CPU time (utime + stime from
// /proc/<pid>/stat, all its threads) is sampled over 30 s.
import { openRotorDb } from './lib/rotor-db.mjs'
import { memoryMiB, sampleCpu } from './lib/proc-stats.mjs'
import { seedScheduledSecrets } from './lib/seed.mjs'
import { startRotor } from './lib/servers.mjs'
import { formatNumber, formatTable } from './lib/table.mjs'
import { envNumber } from './lib/settings.mjs'

const TARGET_PERCENT = 2
const HOUR_MS = 3_600_000

export function readSettings() {
  return {
    secrets: envNumber('BENCH_SCHEDULED_SECRETS', 100_000),
    settleSec: envNumber('BENCH_IDLE_SETTLE', 5),
    sampleSec: envNumber('BENCH_IDLE_SAMPLE', 30),
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export function createIdleCpuBenchmark() {
  return {
    name: 'idle-cpu',
    summary: 'idle server CPU and RSS with 100,000 scheduled secrets, nothing due within the hour',

    async run({ log }) {
      const settings = readSettings()
      log(`seeding ${formatNumber(settings.secrets)} secrets with schedules due in [+2 h, +3 h)...`)
      const seeded = await seedScheduledSecrets({ count: settings.secrets, dueFromMs: 2 * HOUR_MS, dueToMs: 3 * HOUR_MS })
      log(`  seeded in ${seeded.seconds.toFixed(1)} s`)

      const rotor = await startRotor({ dataDir: seeded.dataDir })
      log(`rotor ${rotor.url} (pid ${rotor.pid}); settling ${settings.settleSec} s, then sampling its CPU time for ${settings.sampleSec} s...`)
      await sleep(settings.settleSec * 1000)
      const memoryBefore = memoryMiB(rotor.pid)
      const cpu = await sampleCpu(rotor.pid, settings.sampleSec)
      const memory = memoryMiB(rotor.pid)

      const db = openRotorDb(seeded.dataDir)
      const scheduled = db.prepare('SELECT count(*) FROM rotation_configs WHERE enabled = 1 AND next_rotation_at IS NOT NULL').pluck().get()
      const rotations = db.prepare('SELECT count(*) FROM rotations').pluck().get()
      db.close()
      await rotor.stop()

      const problems = []
      if (scheduled !== settings.secrets) problems.push(`expected ${settings.secrets} scheduled secrets, found ${scheduled}`)
      if (rotations !== 0) problems.push(`${rotations} rotations started although nothing was due`)
      const met = cpu.percentOfOneCore < TARGET_PERCENT
      const report = [
        `${formatNumber(scheduled)} scheduled secrets, nothing due for 2 h; no requests. Server CPU time (user + system, all threads)`,
        `over ${formatNumber(cpu.wallSec, 1)} s after ${settings.settleSec} s of settling.`,
        '',
        formatTable(
          ['measurement', 'value'],
          [
            ['CPU, % of one core', formatNumber(cpu.percentOfOneCore, 2)],
            ['CPU seconds used', formatNumber(cpu.cpuSec, 2)],
            ['busiest second, %', formatNumber(Math.max(...cpu.perSecondPercent), 1)],
            ['RSS, MiB', formatNumber(memory.rssMiB, 1)],
            ['peak RSS, MiB', formatNumber(memory.peakRssMiB, 1)],
          ],
        ),
        '',
        formatTable(['figure', 'measured', 'target', ''], [['idle CPU', `${formatNumber(cpu.percentOfOneCore, 2)}%`, `< ${TARGET_PERCENT}%`, met ? 'met' : 'not met']]),
      ]
      if (problems.length > 0) report.push('', ...problems.map((p) => `FAILED: ${p}`))
      return {
        ok: problems.length === 0,
        text: report.join('\n'),
        data: {
          settings,
          setupSec: Math.round(seeded.seconds * 10) / 10,
          scheduledSecrets: scheduled,
          rotationsStarted: rotations,
          cpuPercentOfOneCore: cpu.percentOfOneCore,
          cpuSec: cpu.cpuSec,
          sampleWallSec: cpu.wallSec,
          perSecondPercent: cpu.perSecondPercent,
          rssMiB: memory.rssMiB,
          rssBeforeSampleMiB: memoryBefore.rssMiB,
          peakRssMiB: memory.peakRssMiB,
          target: { cpuPercent: TARGET_PERCENT, met },
        },
      }
    },
  }
}

export default createIdleCpuBenchmark()
