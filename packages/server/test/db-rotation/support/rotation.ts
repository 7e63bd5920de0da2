import { GetSecretValueCommand, RotateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, secretPath, type ApiTarget } from '../../api/helpers.js';
import type { Credential } from './engines.js';

/** Rotating through the AWS API and reading the outcome through Rotor's own API. */

export interface StoredCredential extends Credential {
  readonly versionId: string;
}

export interface RotationRun {
  readonly VersionId: string;
  readonly State: string;
  readonly Step: string;
  readonly LastError: string | null;
}

interface RotationStatus {
  readonly Current: RotationRun | null;
  readonly LastRun: RotationRun | null;
}

/** The credential a stage (or version) holds, as any application reads it. */
export async function readCredential(client: SecretsManagerClient, secretId: string, selector: { stage?: string; versionId?: string } = {}): Promise<StoredCredential> {
  const value = await client.send(
    new GetSecretValueCommand({ SecretId: secretId, ...(selector.versionId ? { VersionId: selector.versionId } : { VersionStage: selector.stage ?? 'AWSCURRENT' }) }),
  );
  const document = JSON.parse(value.SecretString!) as { username: string; password: string };
  return { versionId: value.VersionId!, username: document.username, password: document.password };
}

export async function rotationStatus(target: ApiTarget, secretId: string): Promise<RotationStatus> {
  const response = await api<RotationStatus>(target, 'GET', secretPath(secretId, 'rotation'));
  if (response.status !== 200) throw new Error(`rotation status answered ${response.status}`);
  return response.body;
}

/** Waits until the rotation of `versionId` has ended (succeeded or failed) and returns it. */
export async function awaitRotation(target: ApiTarget, secretId: string, versionId: string, timeoutMs = 20_000): Promise<RotationRun> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await rotationStatus(target, secretId);
    if (status.Current === null && status.LastRun?.VersionId === versionId) return status.LastRun;
    if (Date.now() > deadline) throw new Error(`rotation ${versionId} of ${secretId} did not end in ${timeoutMs} ms: ${JSON.stringify(status.Current ?? status.LastRun)}`);
    await sleep(10);
  }
}

/** RotateSecret with a new token, then the run once it ended. */
export async function rotate(client: SecretsManagerClient, target: ApiTarget, secretId: string, functionArn?: string): Promise<RotationRun> {
  const versionId = randomUUID();
  await client.send(new RotateSecretCommand({ SecretId: secretId, ClientRequestToken: versionId, ...(functionArn ? { RotationLambdaARN: functionArn } : {}) }));
  return awaitRotation(target, secretId, versionId);
}

/**
 * An application using the database: before each connection it reads AWSCURRENT (a
 * client whose cache follows rotations), logs in and runs its query. When a login is
 * refused it counts the failure and reads AWSCURRENT again until it changes (the
 * "refresh on authentication failure" every AWS guide recommends), then carries on.
 */
export class ApplicationLoop {
  readonly failedVersions: string[] = [];
  logins = 0;
  #stopped = false;
  #running: Promise<void> | undefined;
  #error: unknown;
  readonly #seen = new Set<string>();
  readonly #waiters = new Map<string, (() => void)[]>();

  constructor(
    private readonly read: () => Promise<StoredCredential>,
    private readonly login: (credential: Credential) => Promise<boolean>,
  ) {}

  start(): this {
    this.#running = this.#run().catch((error: unknown) => {
      this.#error = error;
    });
    return this;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const credential = await this.read();
      if (await this.login(credential)) {
        this.logins++;
        if (!this.#seen.has(credential.versionId)) {
          this.#seen.add(credential.versionId);
          for (const resolve of this.#waiters.get(credential.versionId) ?? []) resolve();
          this.#waiters.delete(credential.versionId);
        }
        // A busy application, not a benchmark: the servers under test share two cores with it.
        await sleep(5);
        continue;
      }
      this.failedVersions.push(credential.versionId);
      const deadline = Date.now() + 20_000;
      while (!this.#stopped && (await this.read()).versionId === credential.versionId) {
        if (Date.now() > deadline) throw new Error(`AWSCURRENT stayed on version ${credential.versionId}, whose login fails, for 20 s`);
        await sleep(25);
      }
    }
  }

  /** Resolves once the application has logged in with `versionId` (it follows the rotations). */
  async seen(versionId: string, timeoutMs = 10_000): Promise<void> {
    if (this.#seen.has(versionId)) return;
    if (this.#error) throw this.#error;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#waiters.set(versionId, [...(this.#waiters.get(versionId) ?? []), resolve]);
        timer = setTimeout(() => reject(this.#error ?? new Error(`the application did not log in with version ${versionId} within ${timeoutMs} ms`)), timeoutMs);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
    if (this.#error) throw this.#error;
  }
}
