import { beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../domain/errors.js';
import { redact } from '../../../domain/redacted.js';
import { RotationStepError } from '../../../domain/rotation.js';
import type { SecretValue } from '../../../domain/secret-value.js';
import type { Logger } from '../../../ports/logger.js';
import type { RotationStepEvent } from '../../../ports/rotation-function.js';
import type { CompensateEvent, RotationSecretsApi, Rotator } from '../../../ports/rotator.js';
import { connectionUnsafeCharacters, databaseRotatorFields, type DatabaseRotatorConfig } from './config.js';
import type { DatabaseDriver, FailureKind } from './driver.js';
import { createDatabaseUserRotator } from './user-rotator.js';
import { z } from 'zod';

/**
 * The four steps and compensate against a fake database and a fake secrets API: what
 * each step changes, what it leaves alone, and which failures stop the rotation.
 */

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

class FakeError extends Error {
  constructor(
    message: string,
    readonly kind: FailureKind,
  ) {
    super(message);
  }
}

/** Users and passwords, the operations applied, and a switch to make the server unreachable. */
class FakeDatabase {
  readonly users = new Map<string, { password: string; likeOf?: string }>();
  readonly operations: string[] = [];
  logins = 0;
  down = false;
}

function fakeDriver(db: FakeDatabase): DatabaseDriver<DatabaseRotatorConfig> {
  return {
    kind: 'fake',
    displayName: 'Fake',
    engines: ['fake'],
    defaultPort: 1,
    maxUsernameLength: 20,
    classify: (error) => (error instanceof FakeError ? error.kind : 'other'),
    // Like a careless driver: the message quotes the password it was given.
    describe: (error) => (error instanceof Error ? error.message : String(error)),
    async connect(_endpoint, login) {
      db.logins++;
      if (db.down) throw new FakeError('connect ECONNREFUSED', 'unreachable');
      const user = db.users.get(login.username);
      if (!user || user.password !== login.password.reveal()) {
        throw new FakeError(`password authentication failed for "${login.username}" using password=${login.password.reveal()} ${login.password.reveal()}`, 'auth');
      }
      const self = login.username;
      return {
        whoami: async () => self,
        async setOwnPassword(password) {
          db.operations.push(`${self} sets own password`);
          db.users.get(self)!.password = password.reveal();
        },
        async setPassword(username, password) {
          db.operations.push(`${self} sets password of ${username}`);
          const target = db.users.get(username);
          if (!target) throw new FakeError(`role "${username}" does not exist`, 'invalid');
          target.password = password.reveal();
        },
        async ensureUserLike(username, template, password) {
          db.operations.push(`${self} makes ${username} like ${template}`);
          db.users.set(username, { password: password.reveal(), likeOf: template });
        },
        close: async () => undefined,
      };
    },
  };
}

interface FakeVersion {
  value: SecretValue | undefined;
}

/** One secret store with stages, as the rotation secrets API presents it. */
class FakeSecrets implements RotationSecretsApi {
  readonly versions = new Map<string, Map<string, FakeVersion>>();
  readonly labels = new Map<string, Map<string, string>>();

  put(secretId: string, versionId: string, document: Record<string, unknown> | undefined, stages: string[]): void {
    if (!this.versions.has(secretId)) this.versions.set(secretId, new Map());
    if (!this.labels.has(secretId)) this.labels.set(secretId, new Map());
    this.versions.get(secretId)!.set(versionId, { value: document && { kind: 'string', value: redact(JSON.stringify(document)) } });
    for (const stage of stages) this.labels.get(secretId)!.set(stage, versionId);
  }

  document(secretId: string, versionId: string): Record<string, unknown> {
    const value = this.versions.get(secretId)?.get(versionId)?.value;
    if (value?.kind !== 'string') throw new Error('no value');
    return JSON.parse(value.value.reveal()) as Record<string, unknown>;
  }

  async versionStages(secretId: string) {
    const stages: Record<string, string[]> = {};
    for (const [label, versionId] of this.labels.get(secretId) ?? []) (stages[versionId] ??= []).push(label);
    return stages;
  }

  async getValue(secretId: string, selector: { versionId?: string; stage?: string }) {
    const versions = this.versions.get(secretId);
    if (!versions) throw new AppError('RESOURCE_NOT_FOUND', "Secrets Manager can't find the specified secret.");
    const versionId = selector.versionId ?? this.labels.get(secretId)?.get(selector.stage ?? 'AWSCURRENT');
    return versionId === undefined ? undefined : versions.get(versionId)?.value;
  }

  async putPendingValue(secretId: string, versionId: string, value: SecretValue) {
    this.versions.get(secretId)!.set(versionId, { value });
  }

  async makeCurrent(secretId: string, versionId: string) {
    const labels = this.labels.get(secretId)!;
    const current = labels.get('AWSCURRENT');
    if (current === versionId) return;
    if (current !== undefined) labels.set('AWSPREVIOUS', current);
    labels.set('AWSCURRENT', versionId);
  }

  now = () => Date.now();
  readCheckpoint = async () => undefined;
  writeCheckpoint = async () => undefined;
  setExpirySchedule = async () => undefined;
  reportEvent = async () => undefined;
}

const schema = z.object(databaseRotatorFields).strict();
const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf';
const masterArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:master-AbCdEf';

let db: FakeDatabase;
let secrets: FakeSecrets;
let rotator: Rotator<DatabaseRotatorConfig>;

function setup(config: Record<string, unknown>, options: { master?: boolean } = {}) {
  db = new FakeDatabase();
  secrets = new FakeSecrets();
  rotator = createDatabaseUserRotator({ kind: 'fake', schema, driver: fakeDriver(db) });
  db.users.set('app', { password: 'app-password-0' });
  const base = { engine: 'fake', host: 'db.internal', port: 1, username: 'app', password: 'app-password-0', dbname: 'orders', note: 'kept' };
  secrets.put(secretArn, 'v0', options.master ? { ...base, masterarn: masterArn } : base, ['AWSCURRENT']);
  if (options.master) {
    db.users.set('admin', { password: 'master-password-0' });
    secrets.put(masterArn, 'm0', { engine: 'fake', host: 'db.internal', username: 'admin', password: 'master-password-0' }, ['AWSCURRENT']);
  }
  return rotator.parseConfig(config);
}

function context(config: DatabaseRotatorConfig, step: RotationStepEvent['Step'], versionId: string) {
  return { event: { Step: step, SecretId: secretArn, ClientRequestToken: versionId, RotationToken: 'token' }, config, secrets, signal: new AbortController().signal, logger: silent };
}

/** createSecret → setSecret → testSecret → finishSecret for a new version, as the engine runs them. */
async function rotate(config: DatabaseRotatorConfig, versionId: string) {
  secrets.put(secretArn, versionId, undefined, ['AWSPENDING']);
  await rotator.createSecret(context(config, 'createSecret', versionId));
  await rotator.setSecret(context(config, 'setSecret', versionId));
  await rotator.testSecret(context(config, 'testSecret', versionId));
  await rotator.finishSecret(context(config, 'finishSecret', versionId));
  secrets.labels.get(secretArn)!.delete('AWSPENDING');
  return secrets.document(secretArn, versionId);
}

async function failure(promise: Promise<unknown>): Promise<RotationStepError> {
  const thrown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(RotationStepError);
  return thrown as RotationStepError;
}

describe('database user rotator, single-user', () => {
  let config: DatabaseRotatorConfig;
  beforeEach(() => {
    config = setup({});
  });

  it('gives the same user a new password that avoids connection-string characters, keeping every other field', async () => {
    const document = await rotate(config, 'v1');
    expect(document).toMatchObject({ engine: 'fake', host: 'db.internal', port: 1, username: 'app', dbname: 'orders', note: 'kept' });
    expect(document.password).toHaveLength(32);
    expect([...(document.password as string)].filter((c) => connectionUnsafeCharacters.includes(c))).toEqual([]);
    expect(db.users.get('app')!.password).toBe(document.password);
    expect(db.operations).toEqual(['app sets own password']);
  });

  it('keeps the pending value of an earlier try of createSecret', async () => {
    secrets.put(secretArn, 'v1', undefined, ['AWSPENDING']);
    await rotator.createSecret(context(config, 'createSecret', 'v1'));
    const first = secrets.document(secretArn, 'v1');
    await rotator.createSecret(context(config, 'createSecret', 'v1'));
    expect(secrets.document(secretArn, 'v1')).toEqual(first);
  });

  it('does nothing in setSecret when the pending password already logs in', async () => {
    secrets.put(secretArn, 'v1', undefined, ['AWSPENDING']);
    await rotator.createSecret(context(config, 'createSecret', 'v1'));
    await rotator.setSecret(context(config, 'setSecret', 'v1'));
    await rotator.setSecret(context(config, 'setSecret', 'v1'));
    expect(db.operations).toEqual(['app sets own password']);
  });

  it('logs in with AWSPREVIOUS when AWSCURRENT no longer works (a password changed behind its back)', async () => {
    await rotate(config, 'v1');
    const v1Password = db.users.get('app')!.password;
    // The database went back to the v0 password, which AWSPREVIOUS holds.
    db.users.get('app')!.password = 'app-password-0';
    await rotate(config, 'v2');
    expect(db.users.get('app')!.password).toBe(secrets.document(secretArn, 'v2').password);
    expect(db.users.get('app')!.password).not.toBe(v1Password);
  });

  it('stops with a configuration error, scrubbed, when no stored password logs in and there is no master', async () => {
    db.users.get('app')!.password = 'changed-by-someone-else';
    secrets.put(secretArn, 'v1', undefined, ['AWSPENDING']);
    await rotator.createSecret(context(config, 'createSecret', 'v1'));
    const error = await failure(rotator.setSecret(context(config, 'setSecret', 'v1')));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/^Fake: cannot change the password of "app": none of its stored passwords logs in/);
    expect(error.message).not.toContain('app-password-0');
    expect(error.message).not.toContain(secrets.document(secretArn, 'v1').password as string);
  });

  it('retries later when the database is unreachable', async () => {
    secrets.put(secretArn, 'v1', undefined, ['AWSPENDING']);
    await rotator.createSecret(context(config, 'createSecret', 'v1'));
    db.down = true;
    const error = await failure(rotator.setSecret(context(config, 'setSecret', 'v1')));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('fails testSecret when the pending password does not log in', async () => {
    secrets.put(secretArn, 'v1', undefined, ['AWSPENDING']);
    await rotator.createSecret(context(config, 'createSecret', 'v1'));
    const error = await failure(rotator.testSecret(context(config, 'testSecret', 'v1')));
    expect(error.message).toMatch(/the pending credential does not log in as "app"/);
    expect(error.message).not.toContain(secrets.document(secretArn, 'v1').password as string);
  });

  it('compensate sets the restored password back, and does nothing when it still works', async () => {
    await rotate(config, 'v1');
    // Rollback to v0: AWSCURRENT still names v1 when compensate runs.
    const event: CompensateEvent = { Step: 'compensate', SecretId: secretArn, ClientRequestToken: 'v0', RotationToken: 't' };
    await rotator.compensate!({ event, config, secrets, signal: new AbortController().signal, logger: silent });
    expect(db.users.get('app')!.password).toBe('app-password-0');
    const operations = db.operations.length;
    await rotator.compensate!({ event, config, secrets, signal: new AbortController().signal, logger: silent });
    expect(db.operations.length).toBe(operations);
  });

  it('refuses a secret of another engine', async () => {
    secrets.put(secretArn, 'v0', { engine: 'mysql', host: 'h', username: 'app', password: 'app-password-0' }, ['AWSCURRENT']);
    secrets.put(secretArn, 'v1', undefined, ['AWSPENDING']);
    const error = await failure(rotator.createSecret(context(config, 'createSecret', 'v1')));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('is for engine "mysql"');
  });
});

describe('database user rotator, with a master user', () => {
  it('changes the password as the master user of masterarn', async () => {
    const config = setup({}, { master: true });
    await rotate(config, 'v1');
    expect(db.operations).toEqual(['admin sets password of app']);
  });

  it('falls back to the master AWSPENDING credential while the master itself is mid-rotation', async () => {
    const config = setup({}, { master: true });
    db.users.get('admin')!.password = 'master-password-1';
    secrets.put(masterArn, 'm1', { engine: 'fake', host: 'db.internal', username: 'admin', password: 'master-password-1' }, ['AWSPENDING']);
    await rotate(config, 'v1');
    expect(db.operations).toEqual(['admin sets password of app']);
  });

  it('fails without retrying, naming the master secret and quoting no password, when the master password is wrong', async () => {
    const config = setup({}, { master: true });
    db.users.get('admin')!.password = 'the-real-master-password';
    secrets.put(secretArn, 'v1', undefined, ['AWSPENDING']);
    await rotator.createSecret(context(config, 'createSecret', 'v1'));
    const error = await failure(rotator.setSecret(context(config, 'setSecret', 'v1')));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/cannot log in as the master user of master-AbCdEf: password authentication failed for "admin" .*\(check the master secret\)\.$/);
    for (const secret of ['master-password-0', 'the-real-master-password', 'app-password-0', secrets.document(secretArn, 'v1').password as string]) {
      expect(error.message).not.toContain(secret);
    }
    expect(db.users.get('app')!.password).toBe('app-password-0');
  });

  it('says so when the master secret does not exist', async () => {
    const config = setup({}, { master: true });
    secrets.versions.delete(masterArn);
    secrets.put(secretArn, 'v1', undefined, ['AWSPENDING']);
    await rotator.createSecret(context(config, 'createSecret', 'v1'));
    const error = await failure(rotator.setSecret(context(config, 'setSecret', 'v1')));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('the master secret master-AbCdEf (field "masterarn") was not found');
  });
});

describe('database user rotator, alternating-users', () => {
  it('alternates app and app_clone, creating the clone like the original on the first rotation', async () => {
    const config = setup({ strategy: 'alternating-users' }, { master: true });
    const first = await rotate(config, 'v1');
    expect(first.username).toBe('app_clone');
    expect(db.users.get('app_clone')).toEqual({ password: first.password, likeOf: 'app' });
    expect(db.users.get('app')!.password).toBe('app-password-0');
    const second = await rotate(config, 'v2');
    expect(second.username).toBe('app');
    expect(db.users.get('app')!.password).toBe(second.password);
    expect(db.users.get('app_clone')!.password).toBe(first.password);
    expect(db.operations).toEqual(['admin makes app_clone like app', 'admin makes app like app_clone']);
  });

  it('needs a master user', async () => {
    const config = setup({ strategy: 'alternating-users' });
    secrets.put(secretArn, 'v1', undefined, ['AWSPENDING']);
    const error = await failure(rotator.createSecret(context(config, 'createSecret', 'v1')));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('alternating-users needs a master user');
  });

  it('honours cloneSuffix and refuses names longer than the engine allows', async () => {
    const config = setup({ strategy: 'alternating-users', cloneSuffix: '_b' }, { master: true });
    expect((await rotate(config, 'v1')).username).toBe('app_b');
    const long = setup({ strategy: 'alternating-users', cloneSuffix: '_a_very_long_suffix' }, { master: true });
    secrets.put(secretArn, 'v1', undefined, ['AWSPENDING']);
    const error = await failure(rotator.createSecret(context(long, 'createSecret', 'v1')));
    expect(error.message).toContain('is longer than Fake allows (20)');
  });

  it('compensate re-applies the restored user when its password was changed since', async () => {
    const config = setup({ strategy: 'alternating-users' }, { master: true });
    await rotate(config, 'v1');
    db.users.get('app')!.password = 'drifted';
    const event: CompensateEvent = { Step: 'compensate', SecretId: secretArn, ClientRequestToken: 'v0', RotationToken: 't' };
    await rotator.compensate!({ event, config, secrets, signal: new AbortController().signal, logger: silent });
    expect(db.users.get('app')!.password).toBe('app-password-0');
  });
});

describe('database rotator configuration', () => {
  it('defaults to single-user, 32 characters, TLS off', () => {
    const config = setup({});
    expect(config).toMatchObject({ strategy: 'single-user', cloneSuffix: '_clone', tls: { mode: 'disable' }, password: { passwordLength: 32 } });
  });

  it('names the bad field', () => {
    setup({});
    expect(() => rotator.parseConfig({ strategy: 'both' })).toThrow(/strategy/);
    expect(() => rotator.parseConfig({ password: { passwordLength: 8, excludeLowercase: true, excludeUppercase: true, excludeNumbers: true, excludePunctuation: true } })).toThrow(/^password: /);
    expect(() => rotator.parseConfig({ tls: { ca: 'PEM' } })).toThrow(/tls: ca and servername need/);
    expect(() => rotator.parseConfig({ unknown: 1 })).toThrow();
  });
});
