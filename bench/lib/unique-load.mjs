// Runs unique-load-worker.mjs in its own process: distinct SigV4-signed write requests (each with
// its own ClientRequestToken), sent once each, so signing and sending never share the server's core.
import { fork } from 'node:child_process'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stopChild, trackChild } from './cleanup.mjs'

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'unique-load-worker.mjs')

/**
 * @typedef {object} UniqueLoadResult
 * @property {number} completed        answered requests (any status)
 * @property {number} requestsPerSec   completed / durationSec
 * @property {number} durationSec      from the first send to the last answer (or the window)
 * @property {number} firstSentAt      epoch ms of the first send
 * @property {number} lastDoneAt       epoch ms of the last answer
 * @property {number} p50Ms
 * @property {number} p99Ms
 * @property {number} maxMs
 * @property {number} non2xx
 * @property {number} errors           connection errors and timeouts
 * @property {Record<string, number>} statusCodes
 * @property {Array<object>} failures  the first few non-2xx bodies or errors
 * @property {boolean} [exhausted]     'timed': the signed pool ran out before the window ended
 */

/**
 * @param {{ url: string, region: string, credentials: { accessKeyId: string, secretAccessKey: string },
 *           target: string, template: object, names?: string[], connections?: number,
 *           mode: 'all' | 'timed', count?: number, warmupSec?: number, durationSec?: number,
 *           timeoutSec?: number }} options  see unique-load-worker.mjs for the template syntax
 * @returns {Promise<UniqueLoadResult>}
 */
export function runUniqueLoad(options) {
  return new Promise((resolve, reject) => {
    const child = trackChild(fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
    let settled = false
    const settle = (error, result) => {
      if (settled) return
      settled = true
      stopChild(child).finally(() => (error ? reject(error) : resolve(result)))
    }
    child.on('message', (message) => {
      if (message?.type === 'result') settle(null, message.result)
      else if (message?.type === 'error') settle(new Error(`load generator: ${message.message}`))
    })
    child.once('error', (error) => settle(error))
    child.once('exit', (code, signal) => settle(new Error(`load generator exited early (code ${code}, signal ${signal})`)))
    child.send({ type: 'run', options })
  })
}
