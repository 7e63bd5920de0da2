import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openDataDir, type DataDir } from '../../src/data-dir.js';
import { redact } from '../../src/domain/redacted.js';
import { RotationStepError } from '../../src/domain/rotation.js';
import { systemClock } from '../../src/ports/clock.js';
import type { CompensateContext, Rotator } from '../../src/ports/rotator.js';
import type { SecretServiceDeps } from '../../src/services/context.js';
import { createCreateSecret } from '../../src/services/create-secret.js';
import { createPutSecretValue } from '../../src/services/put-secret-value.js';
import { createRollbackSecret } from '../../src/services/rollback-secret.js';
import { silentLogger, tempDir, testStoreFlags } from '../support/rotor-server.js';

/**
 * Rollback with a rotator that has a compensate step, against the real store: the
 * step runs before AWSCURRENT moves, sees the documented event, and a failing step
 * moves nothing.
 */

const functionArn = 'arn:aws:lambda:us-east-1:123456789012:function:compensating';
const context = { actor: 'AKIATEST' };
let dir: string;
let dataDir: DataDir;
let deps: SecretServiceDeps;
const calls: { event: CompensateContext<unknown>['event']; currentAtCall: string | undefined; restoredValue: string | undefined }[] = [];
let failNext = false;

const compensating: Rotator<unknown> = {
  kind: 'compensating',
  parseConfig: (raw) => raw,
  createSecret: async () => undefined,
  setSecret: async () => undefined,
  testSecret: async () => undefined,
  finishSecret: async () => undefined,
  async compensate({ event, secrets }) {
    const stages = await secrets.versionStages(event.SecretId);
    const current = Object.entries(stages).find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
    const restored = await secrets.getValue(event.SecretId, { versionId: event.ClientRequestToken });
    calls.push({ event, currentAtCall: current, restoredValue: restored?.kind === 'string' ? restored.value.reveal() : undefined });
    if (failNext) {
      failNext = false;
      throw new RotationStepError('the database refused the old password (password=hunter2)');
    }
  },
};

beforeAll(async () => {
  dir = tempDir('rotor-compensate-');
  dataDir = await openDataDir(loadConfig({ flags: { dataDir: dir, logLevel: 'silent', ...(await testStoreFlags(dir)) }, env: {} }), systemClock, {});
  deps = { store: dataDir.store, cipher: dataDir.cipher, clock: systemClock, installation: dataDir.installation };
});
afterAll(async () => {
  await dataDir.close();
  rmSync(dir, { recursive: true, force: true });
});

async function secretWithTwoVersions() {
  const name = `compensate/${randomUUID()}`;
  const created = await createCreateSecret(deps)({ Name: name, ClientRequestToken: randomUUID(), Value: { kind: 'string', value: redact('old-password') } }, context);
  const put = await createPutSecretValue(deps)({ SecretId: name, ClientRequestToken: randomUUID(), Value: { kind: 'string', value: redact('new-password') } }, context);
  await dataDir.store.transaction(async (tx) => {
    await tx.setRotationConfig(created.ARN, {
      enabled: true,
      functionArn,
      rules: {},
      timeZone: undefined,
      spread: false,
      resetOnManualChange: true,
      lastRotatedAt: undefined,
      nextRotationAt: undefined,
      anchorAt: Date.now(),
    });
  });
  return { name, arn: created.ARN, oldVersion: created.VersionId!, newVersion: put.VersionId };
}

function rollback() {
  return createRollbackSecret({
    ...deps,
    functions: { definition: async (arn) => (arn === functionArn ? { name: 'compensating', definition: { kind: 'builtin', builtin: 'compensating', config: {} } } : undefined) },
    builtins: new Map([['compensating', compensating as Rotator<never>]]),
    logger: silentLogger,
  });
}

describe('rollback with a compensate step', () => {
  it('runs compensate first, with Step "compensate" and the version to restore, then moves the labels', async () => {
    const { name, arn, oldVersion, newVersion } = await secretWithTwoVersions();
    const result = await rollback()({ SecretId: name }, context);
    expect(result).toEqual({ ARN: arn, Name: name, VersionId: oldVersion, PreviousVersionId: newVersion, Compensated: true });
    const call = calls.at(-1)!;
    expect(call.event).toMatchObject({ Step: 'compensate', SecretId: arn, ClientRequestToken: oldVersion });
    expect(call.event.RotationToken).toMatch(/^[A-Za-z0-9-]{36,256}$/);
    expect(call.currentAtCall).toBe(newVersion);
    expect(call.restoredValue).toBe('old-password');
    const labels = await dataDir.store.getLabels(arn);
    expect(Object.fromEntries(labels)).toEqual({ AWSCURRENT: oldVersion, AWSPREVIOUS: newVersion });
    const events = await dataDir.store.listSecretRotationEvents(arn, 0, 10);
    expect(events.map((event) => [event.kind, event.versionId])).toEqual([['rolled-back', oldVersion]]);
    expect(events[0]!.message).toContain('after the compensate step');
  });

  it('moves nothing when compensate fails, and says why without secret material', async () => {
    const { name, arn, newVersion } = await secretWithTwoVersions();
    failNext = true;
    const refusal = await rollback()({ SecretId: name }, context).then(
      () => undefined,
      (error: unknown) => error as { code: string; message: string },
    );
    expect(refusal?.code).toBe('INVALID_REQUEST');
    expect(refusal?.message).toMatch(/^Rollback refused: the compensate step of function compensating failed: the database refused the old password \(password=\[REDACTED\]/);
    expect(refusal?.message).not.toContain('hunter2');
    expect((await dataDir.store.getLabels(arn)).get('AWSCURRENT')).toBe(newVersion);
    expect(await dataDir.store.listSecretRotationEvents(arn, 0, 10)).toEqual([]);
  });
});
