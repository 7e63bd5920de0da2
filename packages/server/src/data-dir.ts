import { randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEnvelopeCipher } from './adapters/crypto/envelope-cipher.js';
import { loadRootKey, type RootKeySource } from './adapters/crypto/root-key-file.js';
import { createPostgresStore } from './adapters/store/postgres/index.js';
import { createSqliteStore, type SqliteStore } from './adapters/store/sqlite/index.js';
import type { RotorConfig } from './config/config.js';
import type { Clock } from './ports/clock.js';
import type { ValueCipher } from './ports/value-cipher.js';
import { createAccessKeyService, type AccessKeyService, type IssuedAccessKey } from './services/access-keys.js';
import type { Installation } from './services/context.js';

/**
 * An opened data directory: the store, the cipher under the root key, this
 * installation's identity and its access keys. Shared by `rotor serve` and the local
 * admin commands (`rotor keys`).
 */
export interface DataDir {
  readonly path: string;
  /** SQLite in the data directory, or PostgreSQL shared by several replicas (`--database`). */
  readonly store: SqliteStore;
  readonly backend: 'sqlite' | 'postgres';
  readonly cipher: ValueCipher;
  readonly installation: Installation;
  readonly accessKeys: AccessKeyService;
  readonly rootKey: Pick<RootKeySource, 'origin' | 'path'>;
  /** The admin key created on this start, when this start created the data directory. */
  readonly createdAdminKey: IssuedAccessKey | undefined;
  readonly credentialsPath: string;
  readonly awsConfigPath: string;
  close(): Promise<void>;
}

const keyCheckContext = 'root-key-check';
const keyCheckPlaintext = 'rotor root key check v1';

export class RootKeyMismatchError extends Error {
  constructor(dataDir: string) {
    super(
      `The root key does not match the one the data directory ${dataDir} was created with. ` +
        'Start Rotor with the original root key (root.key or ROTOR_ROOT_KEY); nothing was changed.',
    );
    this.name = 'RootKeyMismatchError';
  }
}

function twelveDigits(): string {
  let account = String(randomInt(1, 10));
  for (let i = 0; i < 11; i++) account += String(randomInt(10));
  return account;
}

/** AWS CLI / SDK shared files, so `aws --profile rotor` works at once. Mode 0600. */
export function writeAwsProfile(paths: { credentials: string; config: string }, key: IssuedAccessKey, region: string): void {
  writeFileSync(
    paths.credentials,
    `[rotor]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey.reveal()}\n`,
    { mode: 0o600 },
  );
  chmodSync(paths.credentials, 0o600);
  writeFileSync(paths.config, `[profile rotor]\nregion = ${region}\noutput = json\n`, { mode: 0o600 });
}

export async function openDataDir(config: RotorConfig, clock: Clock, env: NodeJS.ProcessEnv = process.env): Promise<DataDir> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const rootKey = loadRootKey(join(config.dataDir, 'root.key'), env.ROTOR_ROOT_KEY);
  const cipher = createEnvelopeCipher(rootKey.key);
  // Both adapters implement the same ports (SqliteStore and PostgresStore are one type).
  const store: SqliteStore =
    config.database === undefined
      ? createSqliteStore({ path: join(config.dataDir, 'rotor.db') })
      : await createPostgresStore({ connectionString: config.database });
  try {
    const check = await store.getOrCreateMeta(keyCheckContext, () =>
      cipher.sealWithRootKey(keyCheckContext, Buffer.from(keyCheckPlaintext)),
    );
    try {
      cipher.openWithRootKey(keyCheckContext, check);
    } catch {
      throw new RootKeyMismatchError(config.dataDir);
    }
    const accountId = (await store.getOrCreateMeta('account-id', () => Buffer.from(twelveDigits()))).toString('utf8');
    const installation: Installation = { region: config.region, accountId };
    const accessKeys = createAccessKeyService({ keys: store, cipher, clock });
    const credentialsPath = join(config.dataDir, 'credentials');
    const awsConfigPath = join(config.dataDir, 'config');
    let createdAdminKey: IssuedAccessKey | undefined;
    if ((await store.listAccessKeys()).length === 0) {
      createdAdminKey = await accessKeys.issue({ name: 'admin' });
      writeAwsProfile({ credentials: credentialsPath, config: awsConfigPath }, createdAdminKey, config.region);
    } else if (!existsSync(awsConfigPath)) {
      writeFileSync(awsConfigPath, `[profile rotor]\nregion = ${config.region}\noutput = json\n`, { mode: 0o600 });
    }
    return {
      path: config.dataDir,
      store,
      backend: config.database === undefined ? 'sqlite' : 'postgres',
      cipher,
      installation,
      accessKeys,
      rootKey: { origin: rootKey.origin, path: rootKey.path },
      createdAdminKey,
      credentialsPath,
      awsConfigPath,
      close: () => store.close(),
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
