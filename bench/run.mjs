#!/usr/bin/env node
// Entry point of `npm run bench`: runs every benchmark in order, or only those named on the
// command line (`node bench/run.mjs get-secret-value`). Each benchmark module exports
// `{ name, summary, run({ log }) => { ok, text, data } }`; add new ones to BENCHMARKS.
//
// Output: a readable report per benchmark, then one line `BENCH_JSON {...}` with every result.
// Exit code 1 when a benchmark saw errors or non-2xx responses or could not run; a missed ratio
// target is reported, not failed.
import getSecretValue from './get-secret-value.mjs'
import rotationThroughput from './rotation-throughput.mjs'
import schedulerLateness from './scheduler-lateness.mjs'
import idleCpu from './idle-cpu.mjs'
import postgres from './postgres.mjs'
import dbRotation from './db-rotation.mjs'
import oauth from './oauth.mjs'
import { closeAll, installCleanupHandlers, wasInterrupted } from './lib/cleanup.mjs'
import { describeMachine, sampleBusyPercent } from './lib/machine.mjs'

const BENCHMARKS = [getSecretValue, rotationThroughput, schedulerLateness, idleCpu, postgres, oauth, dbRotation]

function usage() {
  return [
    'usage: node bench/run.mjs [benchmark ...]',
    '',
    'benchmarks:',
    ...BENCHMARKS.map((b) => `  ${b.name.padEnd(20)} ${b.summary}`),
  ].join('\n')
}

async function main(argv) {
  if (argv.includes('-h') || argv.includes('--help')) {
    console.log(usage())
    return 0
  }
  const unknown = argv.filter((name) => !BENCHMARKS.some((b) => b.name === name))
  if (unknown.length > 0) {
    console.error(`unknown benchmark: ${unknown.join(', ')}\n\n${usage()}`)
    return 2
  }
  const selected = argv.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => argv.includes(b.name))

  installCleanupHandlers()
  const busyBeforePercent = await sampleBusyPercent()
  const machine = { ...describeMachine(), busyBeforePercent }
  console.log(`machine: ${machine.cpus} x ${machine.cpuModel}, node ${process.version}, ${busyBeforePercent}% CPU busy before start`)
  if (busyBeforePercent > 15) {
    console.log(`WARNING: other processes are using ${busyBeforePercent}% of the CPU; these figures will be noisy and the ratios unreliable.`)
  }
  const summary = { node: process.version, startedAt: new Date().toISOString(), machine, benchmarks: {} }
  let exitCode = 0
  for (const benchmark of selected) {
    const started = Date.now()
    console.log(`\n== ${benchmark.name}: ${benchmark.summary}\n`)
    const log = (message) => console.log(`  [${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`)
    try {
      const result = await benchmark.run({ log })
      console.log(`\n${result.text}`)
      summary.benchmarks[benchmark.name] = { ok: result.ok, ...result.data }
      if (!result.ok) exitCode = 1
    } catch (error) {
      if (wasInterrupted()) return 130
      console.error(`\nBENCHMARK ${benchmark.name} ABORTED: ${error?.message ?? error}`)
      summary.benchmarks[benchmark.name] = { ok: false, error: String(error?.message ?? error) }
      exitCode = 1
    } finally {
      await closeAll()
    }
    console.log(`\n(${benchmark.name} took ${((Date.now() - started) / 1000).toFixed(1)} s)`)
  }
  console.log(`\nBENCH_JSON ${JSON.stringify(summary)}`)
  return exitCode
}

process.exitCode = await main(process.argv.slice(2))
