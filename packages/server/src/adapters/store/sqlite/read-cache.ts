import type Database from 'better-sqlite3';

/**
 * Rows the read path asks for again and again (the secret, its labels and versions, the
 * caller's access key), kept until the database changes.
 *
 * When it empties:
 * - at once, when this process's writer commits (`invalidate()`, called by the group
 *   committer right after COMMIT and before any caller hears "done"), so a request never
 *   reads older data than a write this server acknowledged;
 * - within a millisecond of a commit by another process (the `rotor keys` command
 *   revoking a key, say): SQLite's `PRAGMA data_version` on the reader connection changes
 *   whenever another connection commits, and it is checked at most once per millisecond
 *   (it costs about a microsecond, and a request makes four or five lookups).
 *
 * Cached values are shared: callers must treat them as read-only.
 */
export class ReadCache {
  readonly #dataVersion: Database.Statement<[], number>;
  readonly #capacity: number;
  readonly #entries = new Map<string, unknown>();
  #seen = -1;
  #checkedAt = Number.NEGATIVE_INFINITY;

  constructor(reader: Database.Database, capacity = 50_000) {
    this.#dataVersion = reader.prepare<[], number>('PRAGMA data_version').pluck();
    this.#capacity = capacity;
  }

  /** Forgets everything: this process committed a write. */
  invalidate(): void {
    this.#entries.clear();
  }

  get<T>(key: string, load: () => T): T {
    const now = performance.now();
    if (now - this.#checkedAt >= 1) {
      this.#checkedAt = now;
      const version = this.#dataVersion.get() as number;
      if (version !== this.#seen) {
        this.#entries.clear();
        this.#seen = version;
      }
    }
    if (this.#entries.has(key)) return this.#entries.get(key) as T;
    const value = load();
    if (this.#entries.size >= this.#capacity) this.#entries.clear();
    this.#entries.set(key, value);
    return value;
  }
}
