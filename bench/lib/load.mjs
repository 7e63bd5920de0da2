// Runs autocannon in its own child process, so on a 2-core machine the load generator and the
// server under test each get a core and neither steals the other's event loop.
import { fork } from 'node:child_process'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stopChild, trackChild } from './cleanup.mjs'

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'load-worker.mjs')

/**
 * @typedef {object} LoadResult
 * @property {string} client           which load client ran (see load-worker.mjs)
 * @property {number} requestsPerSec   completed requests / measured wall-clock seconds
 * @property {number} totalRequests    completed requests in the measured window
 * @property {number} durationSec      measured window, seconds
 * @property {number} p50Ms
 * @property {number} p99Ms
 * @property {number} maxMs
 * @property {number} non2xx
 * @property {number} errors           connection errors, including timeouts
 * @property {number} timeouts
 * @property {number} bytesPerResponse mean response size on the wire, headers included
 * @property {Record<string, number>} statusCodes
 */

/**
 * @param {{ url: string, requests: object[], connections: number, durationSec: number,
 *           warmupSec: number, timeoutSec?: number,
 *           connectionMode?: 'keep-alive' | 'connection-per-request' }} options
 *   `connectionMode` 'connection-per-request' is for servers that close every connection
 *   (see load-worker.mjs); the default drives keep-alive connections with autocannon.
 * @returns {Promise<LoadResult>}
 */
export function runLoad(options) {
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
