// CPU time and memory of one process, from Linux's /proc (the idle-CPU benchmark samples the
// server's own counters, so nothing else on the machine leaks into the figure).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

let ticksPerSecond
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      ticksPerSecond = 100
    }
  }
  return ticksPerSecond
}

/** utime + stime of `pid` in seconds (this process only, not its children). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / clockTicks()
}

/** Resident set size of `pid` in MiB (VmRSS), and the peak (VmHWM). */
export function memoryMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0)
  return { rssMiB: Math.round(kib('VmRSS') / 102.4) / 10, peakRssMiB: Math.round(kib('VmHWM') / 102.4) / 10 }
}

/**
 * Samples `pid`'s CPU time over `seconds`: the share of one core it used (100 = one full core),
 * plus per-second samples so a periodic burst is visible.
 */
export async function sampleCpu(pid, seconds) {
  const start = cpuSeconds(pid)
  const startedAt = performance.now()
  const perSecond = []
  let previous = start
  for (let i = 0; i < seconds; i++) {
    await new Promise((resolve) => setTimeout(resolve, startedAt + (i + 1) * 1000 - performance.now()))
    const now = cpuSeconds(pid)
    perSecond.push(Math.round((now - previous) * 1000) / 10)
    previous = now
  }
  const wallSec = (performance.now() - startedAt) / 1000
  return { percentOfOneCore: Math.round(((previous - start) / wallSec) * 10000) / 100, cpuSec: Math.round((previous - start) * 1000) / 1000, wallSec: Math.round(wallSec * 100) / 100, perSecondPercent: perSecond }
}
