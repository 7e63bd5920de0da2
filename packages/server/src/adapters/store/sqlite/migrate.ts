import type Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Numbered `.sql` files, shipped beside the package (not compiled), applied in id order. */
export const sqliteMigrationsDir = fileURLToPath(new URL('../../../../migrations/sqlite/', import.meta.url));

interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export function readMigrations(dir: string = sqliteMigrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({ id: Number(file.slice(0, 4)), name: file, sql: readFileSync(`${dir}/${file}`, 'utf8') }));
}

/**
 * Applies pending migrations. Each one runs in its own IMMEDIATE transaction that first
 * inserts its id into `migrations` (insert-first, as graphile-worker does): a second
 * process starting at the same moment blocks on the write lock, then sees the row and
 * skips, so no migration runs twice.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = readMigrations()): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS migrations (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied: number[] = [];
  for (const migration of migrations) {
    const apply = db.transaction(() => {
      const inserted = db
        .prepare('INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING')
        .run(migration.id, migration.name, Date.now());
      if (inserted.changes === 0) return false;
      db.exec(migration.sql);
      return true;
    });
    if (apply.immediate()) applied.push(migration.id);
  }
  return applied;
}
