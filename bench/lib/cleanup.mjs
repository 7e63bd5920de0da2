// Process-wide registry of things a benchmark must undo: child process groups and temp dirs.
// Normal path: `closeAll()` (async, graceful). Ctrl-C / SIGTERM: same, then exit 130/143.
// Last resort: a synchronous 'exit' hook SIGKILLs whatever is left and removes the dirs.
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set()
/** @type {Set<string>} */
const dirs = new Set()
let closing

/**
 * Track a child that was spawned with `detached: true`, so it leads its own process group and
 * Ctrl-C in the terminal reaches only us; we then stop the whole group by its id.
 */
export function trackChild(child) {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

export async function makeTempDir(prefix) {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  dirs.add(dir)
  return dir
}

function signalGroup(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    try { child.kill(signal) } catch { /* already gone */ }
  }
}

/** SIGTERM the child's group; SIGKILL it if it has not exited after `graceMs`. */
export async function stopChild(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  signalGroup(child, 'SIGTERM')
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

/** Stop every tracked child and remove every temp dir; safe to call again later. */
export function closeAll() {
  closing ??= (async () => {
    await Promise.all([...children].map((child) => stopChild(child)))
    const removing = [...dirs]
    dirs.clear()
    await Promise.all(removing.map((dir) => rm(dir, { recursive: true, force: true, maxRetries: 3 })))
  })().finally(() => { closing = undefined })
  return closing
}

let interrupted = false
/** True once a signal asked the bench to stop; failures after that are expected, not news. */
export function wasInterrupted() {
  return interrupted
}

let installed = false
export function installCleanupHandlers() {
  if (installed) return
  installed = true
  process.on('exit', () => {
    for (const child of children) signalGroup(child, 'SIGKILL')
    for (const dir of dirs) {
      try { rmSync(dir, { recursive: true, force: true }) } catch { /* best effort */ }
    }
  })
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
    process.once(signal, () => {
      interrupted = true
      process.stderr.write(`\nbench: ${signal} received, stopping servers and removing temp dirs...\n`)
      const force = setTimeout(() => process.exit(code), 5000)
      force.unref()
      closeAll().finally(() => process.exit(code))
    })
  }
}
