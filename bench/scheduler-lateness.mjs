// Scheduler lateness: 100,000 secrets whose NextRotationDate falls within the next 5 minutes;
// how late does each scheduled rotation start? Lateness = rotations.created_at - rotations.due_at
// (the server records both on every scheduled start), read from the database afterwards.
//
// Setup: the data dir is seeded before the server starts (lib/seed-scheduled.mjs: the server's
// own services and cipher; see there for exactly what is written and why not through HTTP).
// Due times are spread evenly over [t0 + 30 s, t0 + 5 min), t0 = when the schedules are written.
// Then `rotor serve` runs on that data dir until every rotation has started (or 6 min after t0).
import { distribution, openRotorDb } from './lib/rotor-db.mjs'
import { cpuSeconds, memoryMiB } from './lib/proc-stats.mjs'
import { seedScheduledSecrets } from './lib/seed.mjs'
import { startRotor } from './lib/servers.mjs'
import { formatNumber, formatTable } from './lib/table.mjs'
import { envNumber } from './lib/settings.mjs'

const TARGET_P99_MS = 1000

export function readSettings() {
  return {
    secrets: envNumber('BENCH_SCHEDULED_SECRETS', 100_000),
    // Due times: evenly over [t0 + lead, t0 + window).
    leadSec: envNumber('BENCH_SCHEDULE_LEAD', 30),
    windowSec: envNumber('BENCH_SCHEDULE_WINDOW', 300),
    // Stop waiting for starts this long after t0.
    waitSec: envNumber('BENCH_SCHEDULE_WAIT', 360),
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export function createSchedulerLatenessBenchmark() {
  return {
    name: 'scheduler-lateness',
    summary: 'scheduler lateness p50/p99/max, 100,000 secrets due within 5 minutes',

    async run({ log }) {
      const settings = readSettings()
      if (settings.windowSec <= settings.leadSec) throw new Error('BENCH_SCHEDULE_WINDOW must be longer than BENCH_SCHEDULE_LEAD')
      log(`seeding ${formatNumber(settings.secrets)} secrets with schedules due in [+${settings.leadSec} s, +${settings.windowSec} s)...`)
      const seeded = await seedScheduledSecrets({ count: settings.secrets, dueFromMs: settings.leadSec * 1000, dueToMs: settings.windowSec * 1000 })
      log(`  seeded in ${seeded.seconds.toFixed(1)} s (CreateSecret service ${seeded.createSec.toFixed(1)} s, schedules ${seeded.configSec.toFixed(1)} s)`)

      const rotor = await startRotor({ dataDir: seeded.dataDir })
      const firstDueIn = (seeded.dueFrom - Date.now()) / 1000
      log(`rotor ${rotor.url} (pid ${rotor.pid}); first rotation due in ${firstDueIn.toFixed(1)} s, last ${((seeded.dueTo - Date.now()) / 1000).toFixed(1)} s`)
      if (firstDueIn < 0) log('  WARNING: seeding took longer than the lead time; the first rotations were due before the server started')

      const db = openRotorDb(seeded.dataDir)
      const startedCount = db.prepare("SELECT count(*) FROM rotations WHERE trigger = 'schedule'").pluck()
      const deadline = seeded.t0 + settings.waitSec * 1000
      const cpuBefore = cpuSeconds(rotor.pid)
      const cpuFrom = performance.now()
      let started = 0
      let lastLog = 0
      const rssSamples = []
      while (Date.now() < deadline) {
        started = startedCount.get()
        if (started >= settings.secrets) break
        if (Date.now() - lastLog >= 30_000) {
          const due = Math.max(0, Math.min(settings.secrets, Math.floor(((Date.now() - seeded.dueFrom) / (seeded.dueTo - seeded.dueFrom)) * settings.secrets)))
          const { rssMiB } = memoryMiB(rotor.pid)
          rssSamples.push({ atSec: Math.round((Date.now() - seeded.t0) / 1000), started, rssMiB })
          log(`  ${formatNumber(started)} started, ~${formatNumber(due)} due so far; server RSS ${formatNumber(rssMiB, 1)} MiB`)
          lastLog = Date.now()
        }
        await sleep(1000)
      }
      started = startedCount.get()
      const endedAt = Date.now()
      const serverCpuPercent = (100 * (cpuSeconds(rotor.pid) - cpuBefore)) / ((performance.now() - cpuFrom) / 1000)
      const memory = memoryMiB(rotor.pid)

      // Secrets due but never started count with the lateness they had reached when the run
      // stopped (a lower bound), so a scheduler that falls behind cannot look punctual.
      const startedLateness = db.prepare("SELECT created_at - due_at FROM rotations WHERE trigger = 'schedule'").pluck().all()
      const censored = db.prepare(
        "SELECT ? - next_rotation_at FROM rotation_configs WHERE next_rotation_at IS NOT NULL AND next_rotation_at <= ?",
      ).pluck().all(endedAt, endedAt)
      const lateness = distribution([...startedLateness, ...censored])
      const lowerBound = censored.length > 0 ? '>= ' : ''
      // Per minute of due time: shows whether lateness grows as rotations pile up.
      const byMinute = db.prepare(
        `SELECT CAST((due_at - ?) / 60000 AS INTEGER) AS minute, created_at - due_at AS late FROM rotations WHERE trigger = 'schedule'`,
      ).raw().all(seeded.t0)
      const minutes = new Map()
      for (const [minute, late] of byMinute) {
        if (!minutes.has(minute)) minutes.set(minute, [])
        minutes.get(minute).push(late)
      }
      const perMinute = [...minutes.entries()].sort((a, b) => a[0] - b[0]).map(([minute, values]) => ({ minute, ...distribution(values) }))
      const finishLag = distribution(db.prepare("SELECT finished_at - due_at FROM rotations WHERE trigger = 'schedule' AND state = 'succeeded'").pluck().all())
      const states = Object.fromEntries(db.prepare("SELECT state, count(*) AS n FROM rotations WHERE trigger = 'schedule' GROUP BY state").raw().all())
      const dueNotStarted = db.prepare(
        "SELECT count(*) FROM rotation_configs WHERE next_rotation_at IS NOT NULL AND next_rotation_at <= ?",
      ).pluck().get(endedAt)
      const overdueEvents = db.prepare("SELECT count(*) FROM rotation_events WHERE kind = 'overdue'").pluck().get()
      db.close()
      await rotor.stop()
      log(`done: ${formatNumber(started)} of ${formatNumber(settings.secrets)} started, ${formatNumber(states.succeeded ?? 0)} finished`)

      // A scheduler that falls behind is a result (reported, target not met); failed rotations are an error.
      const problems = []
      if ((states.failed ?? 0) > 0) problems.push(`${formatNumber(states.failed)} scheduled rotations failed`)
      const notes = []
      if (started < settings.secrets) {
        notes.push(`NOT ALL STARTED: ${formatNumber(started)} of ${formatNumber(settings.secrets)} within ${settings.waitSec} s of t0; the ${formatNumber(censored.length)} due but not started count in the lateness figures with the lateness they had reached when the run stopped (so those figures are lower bounds, marked >=).`)
      }
      const met = started >= settings.secrets && lateness.p99 <= TARGET_P99_MS

      const report = [
        `${formatNumber(settings.secrets)} secrets (random rotator), NextRotationDate spread evenly over [t0 + ${settings.leadSec} s, t0 + ${settings.windowSec} s);`,
        `lateness = created_at - due_at of each scheduled rotation (ms, server clock). Seeded in ${seeded.seconds.toFixed(1)} s.`,
        '',
        formatTable(
          ['measurement', 'count', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
          [
            ['start lateness', formatNumber(lateness.count), `${lowerBound}${formatNumber(lateness.p50)}`, `${lowerBound}${formatNumber(lateness.p90)}`, `${lowerBound}${formatNumber(lateness.p99)}`, `${lowerBound}${formatNumber(lateness.max)}`],
            ['due -> finished', formatNumber(finishLag.count), formatNumber(finishLag.p50), formatNumber(finishLag.p90), formatNumber(finishLag.p99), formatNumber(finishLag.max)],
          ],
        ),
        '',
        'start lateness by due time (minutes after t0):',
        formatTable(
          ['due minute', 'count', 'p50 ms', 'p99 ms', 'max ms'],
          perMinute.map((m) => [`${m.minute}-${m.minute + 1}`, formatNumber(m.count), formatNumber(m.p50), formatNumber(m.p99), formatNumber(m.max)]),
        ),
        '',
        `when the run stopped: ${formatNumber(started)} started, ${formatNumber(states.succeeded ?? 0)} finished, ${formatNumber((states.running ?? 0) + (states.retrying ?? 0))} still running, ` +
          `${formatNumber(states.failed ?? 0)} failed; ${formatNumber(overdueEvents)} 'overdue' events (started > 60 s late).`,
        `server: ${formatNumber(serverCpuPercent, 1)}% of one core while the rotations were due, RSS ${formatNumber(memory.rssMiB, 1)} MiB (peak ${formatNumber(memory.peakRssMiB, 1)} MiB).`,
        '',
        formatTable(
          ['figure', 'measured', 'target', ''],
          [['p99 start lateness', `${lowerBound}${formatNumber(lateness.p99)} ms`, `<= ${TARGET_P99_MS} ms`, met ? 'met' : 'not met']],
        ),
      ]
      if (notes.length > 0) report.push('', ...notes)
      if (problems.length > 0) report.push('', ...problems.map((p) => `FAILED: ${p}`))

      return {
        ok: problems.length === 0,
        text: report.join('\n'),
        data: {
          settings,
          setup: { seconds: Math.round(seeded.seconds * 10) / 10, createSec: Math.round(seeded.createSec * 10) / 10, configSec: Math.round(seeded.configSec * 10) / 10, method: 'seeded through the server modules before start' },
          started,
          states,
          latenessMs: { ...lateness, lowerBound: censored.length > 0, notStarted: censored.length },
          dueToFinishedMs: finishLag,
          overdueEvents,
          dueNotStartedAtEnd: dueNotStarted,
          serverCpuPercent: Math.round(serverCpuPercent * 10) / 10,
          serverMemory: memory,
          rssSamples,
          latenessByDueMinute: perMinute.map(({ minute, count, p50, p99, max }) => ({ minute, count, p50, p99, max })),
          target: { p99LatenessMs: TARGET_P99_MS, met },
        },
      }
    },
  }
}

export default createSchedulerLatenessBenchmark()
