import { CreateSecretCommand, DescribeSecretCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawn } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, secretPath, type ApiTarget } from '../api/helpers.js';
import { createFunctionWithCli, labelProblems } from '../support/rotation-probes.js';
import { awaitBanner, cliEntry, readCredentials, tempDir, type Credentials, type RotorProcess } from '../support/rotor-server.js';
import { harnesses, testPassword, type EngineHarness } from './support/engines.js';
import { readCredential, type RotationRun } from './support/rotation.js';

/**
 * The database rotators under crashes: six secrets (PostgreSQL, MariaDB and Redis users,
 * each single-user and alternating-users) rotate continuously while `rotor serve` is
 * SIGKILLed at random moments and restarted on the same data directory, until 200
 * rotations were acknowledged. A kill can land in any step — between a password change
 * in the database and the step's completion being stored, say — so a resumed step must
 * see what its dead predecessor did (setSecret's "the pending password already works").
 * After the last restart the cut-off rotations must finish on their own; then every
 * secret's AWSCURRENT logs in, every rotation succeeded, and the previous credential is
 * refused (single-user) or still works (alternating-users).
 *
 * Rotor runs on SQLite here in both test passes: one server owns the data directory, so a
 * restarted process takes its dead predecessor's leases back at once. On PostgreSQL every
 * process is a replica with its own lease owner and a dead one's rotations wait for the
 * lease to expire (30 s), by design (test/replicas covers that); with a kill every second or
 * two, 200 rotations would take many minutes there and prove nothing more about rotators.
 */
const TOTAL = 200;
const RECOVERY_MS = 60_000;
const inProgressMessage = "A previous rotation isn't complete. That rotation will be reattempted.";

interface RotatingSecret {
  readonly label: string;
  readonly harness: EngineHarness;
  readonly arn: string;
  readonly functionArn: string;
  readonly strategy: 'single-user' | 'alternating-users';
}

const dataDir = tempDir('rotor-db-crash-');
let server: RotorProcess | undefined;
const engines: EngineHarness[] = [];
/** Cleared to stop the rotation loops and the killer (also by afterAll, should the test time out). */
let working = true;

/** `rotor serve` on the data directory, on SQLite whatever ROTOR_TEST_BACKEND says (see above). */
function spawnRotor(port = 0): Promise<RotorProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.ROTOR_DATABASE_URL;
  const child = spawn(process.execPath, [cliEntry, 'serve', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return awaitBanner(child);
}

function exitOf(child: RotorProcess['child']): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function sdk(url: string, credentials: Credentials): SecretsManagerClient {
  return new SecretsManagerClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1, requestHandler: { requestTimeout: 10_000, connectionTimeout: 2_000 } });
}

/** The server answered (an AWS error with a status), as opposed to a cut connection. */
function answered(error: unknown): { name: string; message: string } | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === undefined ? undefined : { name: (error as Error).name, message: (error as Error).message };
}

beforeAll(async () => {
  engines.push(...(await Promise.all([harnesses.postgres(), harnesses.mysql(), harnesses.redis()])));
}, 60_000);

let afterAllRan = false;
afterAll(async () => {
  working = false;
  afterAllRan = true;
  if (server) {
    server.child.kill('SIGKILL');
    await exitOf(server.child);
  }
  for (const engine of engines) await engine.cleanup().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('database rotation under repeated SIGKILL', () => {
  it(`${TOTAL} rotations of PostgreSQL, MariaDB and Redis users while the server is SIGKILLed at random: after recovery every AWSCURRENT logs in`, async () => {
    server = await spawnRotor();
    const port = Number(new URL(server.url).port);
    const credentials = readCredentials(dataDir);
    let client = sdk(server.url, credentials);
    let target: ApiTarget = { url: server.url, credentials };

    const secrets: RotatingSecret[] = [];
    await Promise.all(
      engines.map(async (harness) => {
        const [single, alternating] = await Promise.all([
          createFunctionWithCli(dataDir, `crash-${harness.kind}-single`, ['--builtin', harness.kind, '--config', '{"strategy":"single-user"}']),
          createFunctionWithCli(dataDir, `crash-${harness.kind}-alternating`, ['--builtin', harness.kind, '--config', '{"strategy":"alternating-users"}']),
        ]);
        const create = async (suffix: string, document: Record<string, unknown>) =>
          (await client.send(new CreateSecretCommand({ Name: `db-crash/${harness.prefix}/${suffix}`, SecretString: JSON.stringify({ ...harness.secretFields, ...document }) }))).ARN!;
        const master = { username: `${harness.prefix}_master`, password: testPassword() };
        await harness.createMasterUser(master);
        const masterarn = await create('master', master);
        for (const strategy of ['single-user', 'alternating-users'] as const) {
          const user = { username: `${harness.prefix}_${strategy === 'single-user' ? 'single' : 'alt'}`, password: testPassword() };
          await harness.createAppUser(user);
          const useMaster = strategy === 'alternating-users' || !harness.selfService;
          const arn = await create(user.username, { ...user, ...(useMaster ? { masterarn } : {}) });
          secrets.push({ label: `${harness.kind} ${strategy}`, harness, arn, functionArn: strategy === 'single-user' ? single : alternating, strategy });
        }
      }),
    );

    const acknowledged: string[] = [];
    const unexpected: string[] = [];
    const inFlight = new Set<string>();
    let cutOff = 0;

    /** Polls DescribeSecret (through restarts) until `versionId` is AWSCURRENT with no rotation left unfinished. */
    const settled = async (secret: RotatingSecret, versionId: string | undefined) => {
      const deadline = Date.now() + RECOVERY_MS;
      for (;;) {
        try {
          const stages = (await client.send(new DescribeSecretCommand({ SecretId: secret.arn }))).VersionIdsToStages ?? {};
          const versions = Object.entries(stages).map(([id, labels]) => ({ id, stages: labels }));
          if (labelProblems(versions).length === 0 && (versionId === undefined || stages[versionId]?.includes('AWSCURRENT'))) return;
        } catch (error) {
          const reply = answered(error);
          if (reply) unexpected.push(`DescribeSecret: ${reply.name}: ${reply.message}`);
        }
        if (Date.now() > deadline) {
          const status = await api(target, 'GET', secretPath(secret.arn, 'rotation')).catch(() => undefined);
          throw new Error(`${secret.label}: rotation ${versionId ?? ''} unfinished after ${RECOVERY_MS} ms: ${JSON.stringify(status?.body)}`);
        }
        await sleep(40);
      }
    };

    const rotateLoop = async (secret: RotatingSecret) => {
      let first = true;
      while (working) {
        const versionId = randomUUID();
        try {
          await client.send(new RotateSecretCommand({ SecretId: secret.arn, ClientRequestToken: versionId, ...(first ? { RotationLambdaARN: secret.functionArn } : {}) }));
          first = false;
          acknowledged.push(versionId);
          inFlight.add(versionId);
          await settled(secret, versionId);
          inFlight.delete(versionId);
          if (acknowledged.length >= TOTAL) working = false;
        } catch (error) {
          const reply = answered(error);
          if (reply?.name === 'InvalidRequestException' && reply.message === inProgressMessage) await settled(secret, undefined);
          else if (reply) unexpected.push(`RotateSecret: ${reply.name}: ${reply.message}`);
          else await sleep(50); // cut off by a kill: the server is restarting
        }
      }
    };

    const restartMs: number[] = [];
    const killer = async () => {
      let kills = 0;
      while (working) {
        // A kill every 10-25 acknowledged rotations (so the count does not depend on the
        // machine's speed), at a random moment after that: several rotations are always in
        // flight, each at some step.
        const threshold = acknowledged.length + randomInt(10, 26);
        while (working && acknowledged.length < threshold) await sleep(10);
        await sleep(randomInt(0, 200));
        if (!working) break;
        cutOff += inFlight.size;
        server!.child.kill('SIGKILL');
        await exitOf(server!.child);
        kills++;
        const restarting = Date.now();
        try {
          server = await spawnRotor(port);
        } catch {
          // The port was taken meanwhile: any port will do, with a new client.
          server = await spawnRotor();
          const previous = client;
          client = sdk(server.url, credentials);
          target = { url: server.url, credentials };
          previous.destroy();
        }
        restartMs.push(Date.now() - restarting);
        // afterAll ran meanwhile (the test timed out): this server is nobody's to stop.
        if (!working && afterAllRan) server.child.kill('SIGKILL');
      }
      return kills;
    };

    const started = Date.now();
    const [kills] = await Promise.all([killer(), ...secrets.map((secret) => rotateLoop(secret))]);
    // Recovery: no new work; whatever a kill cut off finishes on the last server.
    const recovery = Date.now();
    await Promise.all(secrets.map((secret) => settled(secret, undefined)));
    console.log(
      `db crash: ${acknowledged.length} rotations acknowledged in ${Date.now() - started} ms, ${kills} kills (restarts took ${Math.min(...restartMs)}-${Math.max(...restartMs)} ms) with ${cutOff} rotations in flight at a kill; settled ${Date.now() - recovery} ms after the last restart`,
    );

    expect(unexpected, 'errors the server answered with, other than a rotation in progress').toEqual([]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(TOTAL);
    expect(kills, 'kills').toBeGreaterThanOrEqual(6);
    expect(cutOff, 'rotations in flight when the server was killed').toBeGreaterThanOrEqual(3);

    for (const secret of secrets) {
      const history = await api<{ Rotations: RotationRun[] }>(target, 'GET', `${secretPath(secret.arn, 'rotations')}?limit=100`);
      expect(history.status).toBe(200);
      const runs = history.body.Rotations;
      expect(runs.length, `${secret.label}: rotations`).toBeGreaterThan(5);
      expect(runs.filter((run) => run.State !== 'succeeded').map((run) => `${run.State} at ${run.Step}: ${run.LastError ?? ''}`), `${secret.label}: rotations that did not succeed`).toEqual([]);

      const current = await readCredential(client, secret.arn);
      const previous = await readCredential(client, secret.arn, { stage: 'AWSPREVIOUS' });
      expect(await secret.harness.login(current), `${secret.label}: AWSCURRENT logs in`).toBe(true);
      expect(await secret.harness.login(previous), `${secret.label}: AWSPREVIOUS ${secret.strategy === 'single-user' ? 'is refused' : 'still logs in'}`).toBe(
        secret.strategy === 'alternating-users',
      );
    }
    client.destroy();
  }, 180_000);
});
