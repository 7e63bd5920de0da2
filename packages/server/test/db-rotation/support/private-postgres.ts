import { execFile } from 'node:child_process';
import { chownSync, chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
 * With TLS on, the server presents a certificate for 127.0.0.1 signed by itself (`ca`), and
 * members of the role `tls_only` may connect over TLS only (a `hostnossl … reject` line), so
 * a test can prove a client used TLS.
 *
 * initdb refuses to run as root: when the tests run as root the cluster belongs to the
 * `postgres` user (runuser). The binaries are found under /usr/lib/postgresql/<n>/bin, the
 * newest first, or in ROTOR_TEST_PG_BIN.
 */
const run = promisify(execFile);

export interface PrivatePostgres {
  readonly host: string;
  readonly port: number;
  /** The server certificate (self-signed, for 127.0.0.1), when started with TLS. */
  readonly ca: string | undefined;
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

export async function startPrivatePostgres(options: { tls?: boolean } = {}): Promise<PrivatePostgres> {
  const bin = postgresBin();
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'rotor-pg-'));
  const data = join(dir, 'data');
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    owner = { uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()), gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()) };
    chownSync(dir, owner.uid, owner.gid);
  }
  /** A file of the cluster's, owned by the user the server runs as. */
  const writeOwned = (path: string, text: string, mode = 0o600) => {
    writeFileSync(path, text, { mode });
    chmodSync(path, mode);
    if (owner) chownSync(path, owner.uid, owner.gid);
  };
  const as = (command: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args));
  try {
    await as(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync', '-E', 'UTF8']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let ca: string | undefined;
  const tlsOptions: string[] = [];
  if (options.tls) {
    const key = join(data, 'server.key');
    const cert = join(data, 'server.crt');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
    ca = readFileSync(cert, 'utf8');
    writeOwned(key, readFileSync(key, 'utf8'));
    writeOwned(cert, ca, 0o644);
    tlsOptions.push('-c ssl=on', `-c ssl_cert_file=${cert}`, `-c ssl_key_file=${key}`);
    writeOwned(join(data, 'pg_hba.conf'), ['local all all trust', 'hostnossl all +tls_only 0.0.0.0/0 reject', 'host all all 127.0.0.1/32 scram-sha-256', ''].join('\n'));
  }
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    // Durability does not matter for a throwaway cluster; start-up and DDL speed do.
    const serverOptions = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c shared_buffers=16MB',
      '-c max_connections=100',
      '-c password_encryption=scram-sha-256',
      ...tlsOptions,
    ].join(' ');
    try {
      await as(join(bin, 'pg_ctl'), ['-D', data, '-o', serverOptions, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
      break;
    } catch (error) {
      // Another process took the port between the probe and the start: try another.
      if (attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  if (options.tls) {
    const admin = new pg.Client({ host: dir, port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query('CREATE ROLE tls_only NOLOGIN');
    await admin.end();
  }
  return {
    host: '127.0.0.1',
    port,
    ca,
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
