import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One server per data directory: SQLite would let two processes share the file, but
 * both would run the rotation engine over it. `rotor.pid` names the holder; a file left
 * by a process that died (kill -9) is taken over, since that process can no longer write.
 */
function holderAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A recycled pid belongs to some other program: only a Rotor server counts.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('serve');
  } catch {
    return true;
  }
}

export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'rotor.pid');
  try {
    writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
  } catch {
    const holder = Number(readFileSync(path, 'utf8').trim());
    if (holderAlive(holder)) {
      throw new Error(`Another Rotor server (pid ${holder}) is using the data directory ${dataDir}.`);
    }
    writeFileSync(path, `${process.pid}\n`, { mode: 0o600 });
  }
  return () => rmSync(path, { force: true });
}
