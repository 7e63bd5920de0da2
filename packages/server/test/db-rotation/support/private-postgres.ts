import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * A PostgreSQL cluster of the test's own, in a temp dir, on a free port. The machine's
 * server trusts loopback connections, so any password would log in there; this one asks
 * for a SCRAM-SHA-256 password on every TCP connection (`initdb --auth-host=scram-sha-256`),
 * so a test can prove an old password fails. Setup runs as the superuser over the Unix
 * socket (trust), which the rotator never uses.
 *
 * initdb refuses to run as root: when the tests run as root the cluster belongs to the
 * `postgres` user (runuser). The binaries are found under /usr/lib/postgresql/<n>/bin, the
 * newest first, or in ROTOR_TEST_PG_BIN.
 */
const run = promisify(execFile);

export interface PrivatePostgres {
  readonly host: string;
  readonly port: number;
  /** The superuser over the Unix socket (trust): for setup and cleanup only. */
  admin(database?: string): Promise<pg.Client>;
  stop(): Promise<void>;
}

function postgresBin(): string {
  const fromEnv = process.env.ROTOR_TEST_PG_BIN;
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin; set ROTOR_TEST_PG_BIN');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBin();
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'rotor-pg-'));
  const data = join(dir, 'data');
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const as = (command: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args));
  try {
    await as(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync', '-E', 'UTF8']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    // Durability does not matter for a throwaway cluster; start-up and DDL speed do.
    const options = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c shared_buffers=16MB',
      '-c max_connections=100',
      "-c password_encryption=scram-sha-256",
    ].join(' ');
    try {
      await as(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
      break;
    } catch (error) {
      // Another process took the port between the probe and the start: try another.
      if (attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  return {
    host: '127.0.0.1',
    port,
    async admin(database = 'postgres') {
      const client = new pg.Client({ host: dir, port, user: 'postgres', database });
      await client.connect();
      return client;
    },
    async stop() {
      await as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
