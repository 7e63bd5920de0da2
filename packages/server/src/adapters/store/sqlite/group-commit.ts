import type Database from 'better-sqlite3';

interface Unit {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Runs write transactions on the single writer connection, several per database commit.
 *
 * Why: with `synchronous=FULL` every COMMIT waits for an fsync (about 1.2 ms on this
 * machine's disk, so at most ~850 commits/s), while the statements of a PutSecretValue or
 * a rotation step take tens of microseconds. Units that arrive while a commit is under
 * way are queued and run together in the next `BEGIN IMMEDIATE … COMMIT`, each inside its
 * own SAVEPOINT so one that fails rolls back alone. No caller hears "done" before the
 * COMMIT holding its writes has returned, so every acknowledged write is durable.
 *
 * Units run one at a time (their bodies are async because the store port is shared with
 * PostgreSQL), so statements of two units never interleave.
 */
export class GroupCommitter {
  readonly #db: Database.Database;
  readonly #queue: Unit[] = [];
  readonly #maxUnitsPerCommit: number;
  #flushing: Promise<void> = Promise.resolve();
  #active = false;

  readonly #afterCommit: () => void;

  /** `afterCommit` runs after every COMMIT, before the batch's callers are answered. */
  constructor(db: Database.Database, options: { maxUnitsPerCommit?: number; afterCommit?: () => void } = {}) {
    this.#db = db;
    this.#maxUnitsPerCommit = options.maxUnitsPerCommit ?? 256;
    this.#afterCommit = options.afterCommit ?? (() => undefined);
  }

  run<T>(work: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#active) {
        this.#active = true;
        this.#flushing = this.#flush();
      }
    });
  }

  /** Resolves once every queued unit has been committed or rejected. */
  async drain(): Promise<void> {
    while (this.#active) await this.#flushing;
  }

  async #flush(): Promise<void> {
    try {
      // Wait for the rest of this event-loop turn: requests whose bytes arrived on other
      // sockets in the same poll phase queue their units too, and share this commit.
      // (A microtask is too short: each socket's callback would commit alone, and at ~1 ms
      // an fsync that caps a server at a few hundred writes a second.)
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxUnitsPerCommit);
        await this.#commitBatch(batch);
      }
    } finally {
      // Reset in the same synchronous step as the last empty-queue check, so a unit
      // queued afterwards always starts a new flush.
      this.#active = false;
    }
  }

  async #commitBatch(batch: Unit[]): Promise<void> {
    const db = this.#db;
    const done: { unit: Unit; value: unknown }[] = [];
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      for (const unit of batch) unit.reject(error);
      return;
    }
    for (const [index, unit] of batch.entries()) {
      if (!db.inTransaction) {
        // A unit before this one ended the transaction and it could not be reopened.
        for (const rest of batch.slice(index)) rest.reject(new Error('The database transaction could not be reopened.'));
        return;
      }
      db.exec('SAVEPOINT unit');
      try {
        const value = await unit.work();
        db.exec('RELEASE unit');
        done.push({ unit, value });
      } catch (error) {
        if (db.inTransaction) {
          db.exec('ROLLBACK TO unit');
          db.exec('RELEASE unit');
          unit.reject(error);
        } else {
          // SQLite rolled the whole transaction back by itself (disk full, I/O error):
          // the units already run in it are lost too, and must hear so.
          unit.reject(error);
          for (const earlier of done) earlier.unit.reject(error);
          done.length = 0;
          try {
            db.exec('BEGIN IMMEDIATE');
          } catch {
            // Checked at the top of the loop: the remaining units are rejected there.
          }
        }
      }
    }
    try {
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      for (const { unit } of done) unit.reject(error);
      return;
    } finally {
      this.#afterCommit();
    }
    for (const { unit, value } of done) unit.resolve(value);
  }
}
