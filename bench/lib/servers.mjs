// Starts the servers a benchmark compares, each as its own child process on 127.0.0.1,
// so that the load generator (another child) and the server under test each get a core.
import { spawn } from 'node:child_process'
import { readFile, writeFile, access } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeTempDir, stopChild, trackChild } from './cleanup.mjs'

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const ROTOR_MAIN = join(REPO_ROOT, 'packages', 'server', 'dist', 'cli', 'main.js')
const BARE_SERVER = join(REPO_ROOT, 'bench', 'lib', 'bare-server.mjs')
const STARTUP_TIMEOUT_MS = 20_000

/**
 * @typedef {object} Server
 * @property {string} name    label used in the report
 * @property {string} url     base URL, e.g. http://127.0.0.1:41234
 * @property {{ accessKeyId: string, secretAccessKey: string }} credentials
 * @property {string} region
 * @property {() => Promise<void>} stop
 */

function spawnServer(command, args, options = {}) {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    // Own process group: Ctrl-C reaches only the bench, which then stops the group by id.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  })
  trackChild(child)
  // Keep the last output for error messages, and keep draining the pipes: moto logs every
  // request, and a full pipe would stall the server in the middle of a run.
  let tail = ''
  const keep = (chunk) => { tail = (tail + chunk).slice(-4000) }
  child.stdout.setEncoding('utf8').on('data', keep)
  child.stderr.setEncoding('utf8').on('data', keep)
  return { child, output: () => tail }
}

function describeFailure(label, output, reason) {
  return new Error(`${label} failed to start: ${reason}\n--- last output ---\n${output().trim() || '(none)'}\n---`)
}

/** Resolves with the first match of `pattern` on the child's stdout. */
function waitForLine({ child, output }, pattern, label) {
  return new Promise((resolve, reject) => {
    let buffered = ''
    const onData = (chunk) => {
      buffered += chunk
      const match = pattern.exec(buffered)
      if (match) finish(null, match)
    }
    const onExit = (code, signal) => finish(describeFailure(label, output, `exited (code ${code}, signal ${signal})`))
    const onError = (error) => finish(describeFailure(label, output, error.message))
    const timer = setTimeout(() => finish(describeFailure(label, output, `no ready line after ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS)
    function finish(error, match) {
      clearTimeout(timer)
      child.stdout.off('data', onData)
      child.off('exit', onExit)
      child.off('error', onError)
      if (error) reject(error)
      else resolve(match)
    }
    child.stdout.on('data', onData)
    child.once('exit', onExit)
    child.once('error', onError)
  })
}

async function waitForHttp({ child, output }, url, label) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS
  let spawnError
  child.once('error', (error) => { spawnError = error })
  for (;;) {
    if (spawnError) throw describeFailure(label, output, spawnError.message)
    if (child.exitCode !== null) throw describeFailure(label, output, `exited (code ${child.exitCode})`)
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) })
      return
    } catch {
      if (Date.now() > deadline) throw describeFailure(label, output, `no HTTP answer after ${STARTUP_TIMEOUT_MS} ms`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.unref()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

/** Minimal INI reader: `{ [section]: { key: value } }`. */
function parseIni(text) {
  const sections = {}
  let current
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith(';')) continue
    const header = /^\[(.+)\]$/.exec(line)
    if (header) {
      current = sections[header[1].trim()] ??= {}
      continue
    }
    const eq = line.indexOf('=')
    if (current && eq > 0) current[line.slice(0, eq).trim()] = line.slice(eq + 1).trim()
  }
  return sections
}

export async function assertRotorBuilt() {
  try {
    await access(ROTOR_MAIN)
  } catch {
    throw new Error(`Rotor is not built: ${ROTOR_MAIN} is missing (run \`npm run build\`).`)
  }
}

/**
 * Rotor: `serve --port 0 --data-dir <fresh dir>`; ready when it prints
 * `Rotor listening on http://127.0.0.1:<port>`. Credentials come from the files it writes on
 * first start: `<data-dir>/credentials` ([rotor]) and `<data-dir>/config` ([profile rotor]).
 * @param {{ dataDir?: string, database?: string, env?: Record<string, string>, name?: string,
 *           credentials?: { accessKeyId: string, secretAccessKey: string } }} [options]
 *   `dataDir`: an existing (seeded) data directory instead of a fresh one; it must already be
 *   registered with makeTempDir by the caller. `database`: a PostgreSQL URL (`--database`), for
 *   replicas; `env`: extra environment (ROTOR_ROOT_KEY, shared by replicas). `credentials`: for a
 *   replica that joins a database whose admin key another replica created (only the first writes
 *   the `credentials` file).
 * @returns {Promise<Server & { pid: number, dataDir: string }>}
 */
export async function startRotor(options = {}) {
  await assertRotorBuilt()
  const dataDir = options.dataDir ?? await makeTempDir('rotor-bench-')
  const args = [ROTOR_MAIN, 'serve', '--port', '0', '--data-dir', dataDir]
  if (options.database) args.push('--database', options.database)
  const proc = spawnServer(process.execPath, args, options.env ? { env: { ...process.env, ...options.env } } : {})
  const [, url] = await waitForLine(proc, /Rotor listening on (http:\/\/[^\s/]+)\/?\r?\n/, 'Rotor')
  const credentials = options.credentials
    ? { aws_access_key_id: options.credentials.accessKeyId, aws_secret_access_key: options.credentials.secretAccessKey }
    : parseIni(await readFile(join(dataDir, 'credentials'), 'utf8')).rotor
  const config = parseIni(await readFile(join(dataDir, 'config'), 'utf8'))['profile rotor']
  if (!credentials?.aws_access_key_id || !credentials?.aws_secret_access_key) {
    throw new Error(`Rotor wrote no [rotor] access key to ${join(dataDir, 'credentials')}`)
  }
  return {
    name: options.name ?? 'rotor',
    url,
    credentials: { accessKeyId: credentials.aws_access_key_id, secretAccessKey: credentials.aws_secret_access_key },
    region: config?.region ?? 'us-east-1',
    pid: proc.child.pid,
    dataDir,
    stop: () => stopChild(proc.child),
  }
}

/**
 * Runs the Rotor CLI (`node dist/cli/main.js ...args`) and resolves with its stdout.
 * @param {string[]} args
 * @param {{ env?: Record<string, string> }} [options]  extra environment (ROTOR_ROOT_KEY)
 */
export function runRotorCli(args, options = {}) {
  return new Promise((resolve, reject) => {
    const env = options.env ? { ...process.env, ...options.env } : process.env
    const child = spawn(process.execPath, [ROTOR_MAIN, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    trackChild(child)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk })
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code === 0) resolve(stdout)
      else reject(new Error(`rotor ${args.join(' ')} exited with ${code}: ${stderr.trim() || stdout.trim()}`))
    })
  })
}

/**
 * The floor: a bare node:http server that reads each request body and answers with `responseBody`.
 * @param {{ name?: string, responseBody: string, contentType?: string }} options
 * @returns {Promise<Server>}
 */
export async function startBareServer({ name = 'bare-node-http', responseBody, contentType = 'application/x-amz-json-1.1' }) {
  const dir = await makeTempDir('rotor-bench-bare-')
  const bodyFile = join(dir, 'response.json')
  await writeFile(bodyFile, responseBody)
  const proc = spawnServer(process.execPath, [BARE_SERVER, '--body-file', bodyFile, '--content-type', contentType])
  const [, url] = await waitForLine(proc, /listening on (http:\/\/[^\s/]+)\/?\r?\n/, name)
  return {
    name,
    url,
    // Ignored by the server; requests are signed the same way as for the others.
    credentials: { accessKeyId: 'AKIABENCHBARE0000000', secretAccessKey: 'bench-bare-not-checked' },
    region: 'us-east-1',
    stop: () => stopChild(proc.child),
  }
}

/**
 * moto's server mode (`moto_server -H 127.0.0.1 -p <port>`), which accepts any credentials.
 * @returns {Promise<Server>}
 */
export async function startMoto() {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const proc = spawnServer('moto_server', ['-H', '127.0.0.1', '-p', String(port)])
  await waitForHttp(proc, `${url}/`, 'moto_server')
  return {
    name: 'moto',
    url,
    credentials: { accessKeyId: 'AKIAMOTOBENCH0000000', secretAccessKey: 'moto-accepts-anything' },
    region: 'us-east-1',
    stop: () => stopChild(proc.child),
  }
}
