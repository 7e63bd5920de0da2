// What the machine looked like when a benchmark ran. Throughput ratios are only comparable when
// nothing else competes for the cores, so the bench samples CPU use just before it starts.
import { cpus, loadavg } from 'node:os'

function cpuTotals() {
  let idle = 0
  let total = 0
  for (const { times } of cpus()) {
    idle += times.idle
    total += times.user + times.nice + times.sys + times.idle + times.irq
  }
  return { idle, total }
}

/**
 * Share of all cores (0-100) that other processes kept busy over `sampleMs`.
 * @param {number} [sampleMs]
 */
export async function sampleBusyPercent(sampleMs = 1000) {
  const before = cpuTotals()
  await new Promise((resolve) => setTimeout(resolve, sampleMs))
  const after = cpuTotals()
  const total = after.total - before.total
  return total > 0 ? Math.round((100 * (total - (after.idle - before.idle))) / total) : 0
}

export function describeMachine() {
  const list = cpus()
  return { cpus: list.length, cpuModel: list[0]?.model ?? 'unknown', loadAverage1m: Number(loadavg()[0].toFixed(2)) }
}
