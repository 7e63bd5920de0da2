// Read-only access to a Rotor data directory's SQLite database (`<data-dir>/rotor.db`), for
// benchmarks that need to know when rotations started and finished. WAL mode lets this
// connection read while the server writes; it never takes the write lock.
import { join } from 'node:path'
import Database from 'better-sqlite3'

/** @returns {import('better-sqlite3').Database} */
export function openRotorDb(dataDir) {
  const db = new Database(join(dataDir, 'rotor.db'), { readonly: true, fileMustExist: true })
  db.pragma('busy_timeout = 5000')
  return db
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

/** { p50, p99, max, min, mean } of a list of numbers (any order). */
export function distribution(values) {
  const sorted = Float64Array.from(values).sort()
  const sum = sorted.reduce((a, b) => a + b, 0)
  return {
    count: sorted.length,
    min: sorted.length ? sorted[0] : 0,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : 0,
    mean: sorted.length ? Math.round((sum / sorted.length) * 10) / 10 : 0,
  }
}
