import { loadConfig } from '../config/config.js';
import type { DataDir } from '../data-dir.js';
import { systemClock } from '../ports/clock.js';

export const dataDirOption = ['--data-dir <dir>', 'data directory (ROTOR_DATA_DIR, default ./.rotor)'] as const;

/**
 * Opens the data directory for a local administration command (`keys`, `functions`):
 * these need the root key, which never crosses the network, so they run on the server's
 * machine. SQLite lets them work beside a running server.
 */
export const databaseOption = ['--database <url>', 'postgres:// URL of a shared store (ROTOR_DATABASE_URL)'] as const;

export async function withLocalDataDir<T>(options: { dataDir?: string; database?: string }, work: (dir: DataDir) => Promise<T>): Promise<T> {
  const config = loadConfig({ flags: { dataDir: options.dataDir, database: options.database, logLevel: 'silent' } });
  // Loaded on use: the data directory brings in SQLite, which client commands never need.
  const { openDataDir } = await import('../data-dir.js');
  const dir = await openDataDir(config, systemClock);
  try {
    return await work(dir);
  } finally {
    await dir.close();
  }
}
