import { CreateSecretCommand, DescribeSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, secretPath, type ApiTarget } from '../../api/helpers.js';
import { createFunctionWithCli } from '../../support/rotation-probes.js';
import { startTestRotor, type TestRotor } from '../../support/rotor-server.js';
import { testPassword, type Credential, type EngineHarness } from './engines.js';
import { ApplicationLoop, readCredential, rotate } from './rotation.js';

/**
 * The behaviour every database rotator must show, against the real server of its engine,
 * driven through the real AWS SDK against an in-process Rotor with functions registered
 * by the built CLI (`rotor functions create NAME --builtin KIND --config JSON`):
 *
 * - single-user and alternating-users each rotate 50 times in a row; after every rotation
 *   AWSCURRENT logs in, and the replaced credential fails (single-user) or still works
 *   (alternating-users); an application that re-reads AWSCURRENT when a login is refused
 *   sees at most one refusal per rotation (single-user) and none (alternating-users);
 *   the master secret is itself rotated (single-user) in the middle of the alternating run;
 * - rollback restores a working previous credential (compensation), in both strategies;
 * - a wrong master password fails the rotation cleanly.
 */
const ROTATIONS = 50;
const displayNames = { postgres: 'PostgreSQL', mysql: 'MySQL', redis: 'Redis' } as const;
/** How each server words a refused password (the user name in it may be scrubbed). */
const refusals = { postgres: '\\[28P01\\] password authentication failed for user', mysql: "\\[ER_ACCESS_DENIED_ERROR\\] Access denied for user", redis: 'WRONGPASS' } as const;

export function describeDatabaseRotation(kind: EngineHarness['kind'], makeHarness: () => Promise<EngineHarness>, options: { tls?: boolean } = {}): void {
  let harness: EngineHarness;
  let rotor: TestRotor;
  let target: ApiTarget;
  let singleUser: string;
  let alternatingUsers: string;
  let master: { arn: string; credential: Credential };

  async function createSecret(suffix: string, credential: Credential, masterarn: string | undefined): Promise<string> {
    const document = { ...harness.secretFields, ...credential, ...(masterarn === undefined ? {} : { masterarn }) };
    const created = await rotor.client.send(new CreateSecretCommand({ Name: `db-rotation/${harness.prefix}/${suffix}`, SecretString: JSON.stringify(document) }));
    return created.ARN!;
  }

  async function appSecret(suffix: string, masterarn: string | undefined): Promise<string> {
    const credential = { username: `${harness.prefix}_${suffix}`, password: testPassword() };
    await harness.createAppUser(credential);
    return createSecret(suffix, credential, masterarn);
  }

  const read = (arn: string, selector: { stage?: string; versionId?: string } = {}) => readCredential(rotor.client, arn, selector);

  beforeAll(async () => {
    [harness, rotor] = await Promise.all([makeHarness(), startTestRotor()]);
    target = { url: rotor.url, credentials: rotor.credentials };
    [singleUser, alternatingUsers] = await Promise.all([
      createFunctionWithCli(rotor.dataDir, `${kind}-single`, ['--builtin', kind, '--config', JSON.stringify({ strategy: 'single-user' })]),
      createFunctionWithCli(rotor.dataDir, `${kind}-alternating`, ['--builtin', kind, '--config', JSON.stringify({ strategy: 'alternating-users' })]),
    ]);
    const credential = { username: `${harness.prefix}_master`, password: testPassword() };
    await harness.createMasterUser(credential);
    master = { arn: await createSecret('master', credential, undefined), credential };
  }, 60_000);

  afterAll(async () => {
    await rotor?.close();
    await harness?.cleanup();
  });

  describe(`${kind} rotator against the real server`, () => {
    it(`single-user: ${ROTATIONS} rotations in a row; AWSCURRENT logs in, the replaced password is refused, the application sees at most one refused login per rotation`, async () => {
      // Without +acl a Redis user cannot change its own password, so there the master does it.
      const arn = await appSecret('single', harness.selfService ? undefined : master.arn);
      const app = new ApplicationLoop(() => read(arn), (credential) => harness.login(credential)).start();
      let previous = await read(arn);
      let rotatingMs = 0;
      try {
        for (let i = 1; i <= ROTATIONS; i++) {
          const started = Date.now();
          const run = await rotate(rotor.client, target, arn, i === 1 ? singleUser : undefined);
          rotatingMs += Date.now() - started;
          expect(run.State, `rotation ${i}: ${run.LastError ?? ''}`).toBe('succeeded');
          const current = await read(arn);
          expect(current.versionId, `rotation ${i}: AWSCURRENT`).toBe(run.VersionId);
          expect(current.username).toBe(previous.username);
          expect((await read(arn, { stage: 'AWSPREVIOUS' })).versionId, `rotation ${i}: AWSPREVIOUS`).toBe(previous.versionId);
          expect(await harness.login(current), `rotation ${i}: the AWSCURRENT credential logs in`).toBe(true);
          expect(await harness.login(previous), `rotation ${i}: the replaced password is refused`).toBe(false);
          await app.seen(current.versionId);
          previous = current;
        }
      } finally {
        await app.stop();
      }
      console.log(`${kind} single-user: ${ROTATIONS} rotations, ${Math.round(rotatingMs / ROTATIONS)} ms each; the application logged in ${app.logins} times, ${app.failedVersions.length} refused`);
      expect(app.logins).toBeGreaterThanOrEqual(ROTATIONS);
      expect(app.failedVersions.length, 'refused logins of the application').toBeLessThanOrEqual(ROTATIONS);
      expect(new Set(app.failedVersions).size, 'a version refused more than once').toBe(app.failedVersions.length);
      expect(app.failedVersions, 'the final AWSCURRENT was refused').not.toContain(previous.versionId);
    }, 120_000);

    it(`alternating-users: ${ROTATIONS} rotations in a row, the master rotating itself meanwhile; AWSCURRENT logs in, the previous user still does, the application never sees a refusal`, async () => {
      const arn = await appSecret('alt', master.arn);
      const base = `${harness.prefix}_alt`;
      const app = new ApplicationLoop(() => read(arn), (credential) => harness.login(credential)).start();
      let previous = await read(arn);
      let masterRotations = 0;
      let rotatingMs = 0;
      try {
        for (let i = 1; i <= ROTATIONS; i++) {
          if (i % 20 === 10) {
            // The master secret is an ordinary single-user secret: it changes its own password.
            const run = await rotate(rotor.client, target, master.arn, singleUser);
            expect(run.State, `master rotation: ${run.LastError ?? ''}`).toBe('succeeded');
            masterRotations++;
          }
          const started = Date.now();
          const run = await rotate(rotor.client, target, arn, i === 1 ? alternatingUsers : undefined);
          rotatingMs += Date.now() - started;
          expect(run.State, `rotation ${i}: ${run.LastError ?? ''}`).toBe('succeeded');
          const current = await read(arn);
          expect(current.versionId, `rotation ${i}: AWSCURRENT`).toBe(run.VersionId);
          expect(current.username, `rotation ${i}: the users alternate`).toBe(previous.username === base ? `${base}_clone` : base);
          // Logging in runs the application's query, so the clone has the original's privileges.
          expect(await harness.login(current), `rotation ${i}: the AWSCURRENT credential logs in`).toBe(true);
          expect(await harness.login(previous), `rotation ${i}: the previous user still logs in`).toBe(true);
          await app.seen(current.versionId);
          previous = current;
        }
      } finally {
        await app.stop();
      }
      console.log(`${kind} alternating-users: ${ROTATIONS} rotations, ${Math.round(rotatingMs / ROTATIONS)} ms each (and ${masterRotations} of the master); the application logged in ${app.logins} times, ${app.failedVersions.length} refused`);
      expect(masterRotations).toBe(3);
      expect(app.failedVersions, 'refused logins of the application').toEqual([]);
    }, 120_000);

    it('rollback restores a working previous credential: the compensate step sets the password back (single-user) or re-applies a drifted user (alternating-users)', async () => {
      // single-user: after two rotations only the newest password works; rollback must restore the one before.
      const single = await appSecret('rollback', harness.selfService ? undefined : master.arn);
      const first = await rotate(rotor.client, target, single, singleUser);
      const second = await rotate(rotor.client, target, single);
      expect([first.State, second.State]).toEqual(['succeeded', 'succeeded']);
      const restored = await read(single, { versionId: first.VersionId });
      const abandoned = await read(single);
      expect(await harness.login(restored)).toBe(false);
      const rolledBack = await api(target, 'POST', secretPath(single, 'rollback'));
      expect(rolledBack.status, JSON.stringify(rolledBack.body)).toBe(200);
      expect(rolledBack.body).toMatchObject({ VersionId: first.VersionId, PreviousVersionId: second.VersionId, Compensated: true });
      expect((await read(single)).versionId).toBe(first.VersionId);
      expect(await harness.login(restored), 'the restored AWSCURRENT logs in').toBe(true);
      expect(await harness.login(abandoned), 'the abandoned password is refused').toBe(false);
      // Rotating again starts from the restored credential.
      const third = await rotate(rotor.client, target, single);
      expect(third.State, third.LastError ?? '').toBe('succeeded');
      expect(await harness.login(await read(single))).toBe(true);

      // alternating-users: the previous user normally still works; if its password drifted, rollback re-applies it.
      const alternating = await appSecret('rollback_alt', master.arn);
      const a1 = await rotate(rotor.client, target, alternating, alternatingUsers);
      const a2 = await rotate(rotor.client, target, alternating);
      expect([a1.State, a2.State]).toEqual(['succeeded', 'succeeded']);
      const clone = await read(alternating, { versionId: a1.VersionId });
      const original = await read(alternating);
      await harness.setPasswordDirectly({ username: clone.username, password: testPassword() });
      expect(await harness.login(clone)).toBe(false);
      const back = await api(target, 'POST', secretPath(alternating, 'rollback'));
      expect(back.status, JSON.stringify(back.body)).toBe(200);
      expect(back.body).toMatchObject({ VersionId: a1.VersionId, Compensated: true });
      expect(await harness.login(clone), 'the restored user logs in again').toBe(true);
      expect(await harness.login(original), 'the abandoned user still logs in (alternating-users)').toBe(true);
    }, 60_000);

    it('a wrong master password fails the rotation cleanly: AWSPENDING left, the error recorded without secrets, the current credential still works', async () => {
      const wrongPassword = testPassword();
      const wrongMaster = await createSecret('wrong_master', { username: master.credential.username, password: wrongPassword }, undefined);
      const arn = await appSecret('wrong', wrongMaster);
      const before = await read(arn);
      const run = await rotate(rotor.client, target, arn, singleUser);
      expect(run.State).toBe('failed');
      expect(run.Step).toBe('setSecret');
      // The secret's name may itself be scrubbed (a long name looks like a token to the scrubber).
      expect(run.LastError).toMatch(new RegExp(`^${displayNames[kind]}: cannot log in as the master user of \\S+: ${refusals[kind]}.* \\(check the master secret\\)\\.$`));

      const pending = await read(arn, { stage: 'AWSPENDING' });
      expect(pending.versionId).toBe(run.VersionId);
      const stages = (await rotor.client.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages ?? {};
      expect(stages[run.VersionId]).toEqual(['AWSPENDING']);
      expect(stages[before.versionId]).toEqual(['AWSCURRENT']);
      const masterNow = await read(master.arn);
      for (const [what, secret] of [
        ['the wrong master password', wrongPassword],
        ['the master password', masterNow.password],
        ['the current password', before.password],
        ['the pending password', pending.password],
      ] as const) {
        expect(run.LastError!.includes(secret), `LastError quotes ${what}`).toBe(false);
      }
      expect(await harness.login(before), 'the current credential still logs in').toBe(true);
      expect(await harness.login(pending), 'the pending password was never applied').toBe(false);
      // As AWS: the unfinished rotation blocks the next one until it is dealt with.
      await expect(rotor.client.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: randomUUID() }))).rejects.toMatchObject({
        name: 'InvalidRequestException',
      });
    }, 60_000);

    if (options.tls) {
      it('TLS: with tls.mode "verify-full" and the server\'s CA, a role the server admits over TLS only rotates (alternating-users)', async () => {
        const tls = harness.tls!;
        const functionArn = await createFunctionWithCli(rotor.dataDir, `${kind}-tls`, [
          '--builtin',
          kind,
          '--config',
          JSON.stringify({ strategy: 'alternating-users', tls: { mode: 'verify-full', ca: tls.ca } }),
        ]);
        const credential = { username: `${harness.prefix}_tls`, password: testPassword() };
        await harness.createAppUser(credential);
        await tls.requireTls(credential.username);
        const arn = await createSecret('tls', credential, master.arn);
        for (let i = 1; i <= 3; i++) {
          const run = await rotate(rotor.client, target, arn, i === 1 ? functionArn : undefined);
          expect(run.State, `rotation ${i}: ${run.LastError ?? ''}`).toBe('succeeded');
          expect(await harness.login(await read(arn)), `rotation ${i}: AWSCURRENT logs in over TLS`).toBe(true);
        }
        // The server does demand TLS of these roles (so the rotator's logins as them used it).
        await expect(harness.login(await read(arn), { tls: false })).rejects.toMatchObject({ code: '28000' });
      }, 60_000);
    }
  });
}
