import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';

/**
 * `rotor migrate`: applies pending schema migrations and exits — for a deployment step
 * that runs before the replicas start. Replicas also migrate on start; both are safe
 * concurrently (migrations take a lock and record themselves insert-first).
 */
export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .option('--database <url>', 'postgres:// URL (ROTOR_DATABASE_URL); without it, the SQLite store in the data directory')
    .option('--data-dir <dir>', 'data directory (ROTOR_DATA_DIR, default ./.rotor)')
    .action(async (options: { database?: string; dataDir?: string }) => {
      const config = loadConfig({ flags: { database: options.database, dataDir: options.dataDir, logLevel: 'silent' } });
      if (config.database !== undefined) {
        const { createPostgresStore } = await import('../adapters/store/postgres/index.js');
        await (await createPostgresStore({ connectionString: config.database })).close();
        process.stdout.write('PostgreSQL schema is up to date.\n');
      } else {
        const { mkdirSync } = await import('node:fs');
        const { join } = await import('node:path');
        const { createSqliteStore } = await import('../adapters/store/sqlite/index.js');
        mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
        await createSqliteStore({ path: join(config.dataDir, 'rotor.db') }).close();
        process.stdout.write(`SQLite schema in ${config.dataDir} is up to date.\n`);
      }
    });
}
