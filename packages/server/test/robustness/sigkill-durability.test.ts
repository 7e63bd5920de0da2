import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { readCredentials, sdkClient, spawnRotor, tempDir, type Credentials, type RotorProcess } from '../support/rotor-server.js';
import { childExit, stopChild } from '../support/signed-http.js';

/**
 * Crash durability: `rotor serve` is killed with SIGKILL in the middle of a stream of
 * concurrent PutSecretValue calls, then restarted on the same data directory. With
 * synchronous=FULL every acknowledged write must survive, and the staging labels must
 * be exactly what the acknowledged history says.
 *
 * Puts to one secret are kept sequential (several secrets are written at once), so the
 * order of acknowledgements is the commit order and AWSCURRENT is predictable: the last
 * acknowledged version, or the one put that was in flight at the kill if it committed.
 */

const CYCLES = 20;
const SECRETS = 8;
const WRITERS = 6;

type Value = { readonly kind: 'string'; readonly text: string } | { readonly kind: 'binary'; readonly bytes: Buffer };

interface SecretState {
  readonly name: string;
  /** Versions known to be committed, in commit order. */
  readonly history: string[];
  busy: boolean;
  /** The put whose outcome the kill left unknown, until the next restart settles it. */
  inFlightAtKill: { versionId: string; value: Value } | undefined;
}

const values = new Map<string, Value>();
/** Versions whose put was cut off by a kill and did not commit: they must never appear. */
const lost = new Set<string>();

function newValue(cycle: number, n: number): Value {
  if (n % 5 === 4) return { kind: 'binary', bytes: randomBytes(24) };
  return { kind: 'string', text: `cycle-${cycle}-put-${n}-${randomBytes(8).toString('hex')}` };
}

function valueFields(value: Value): { SecretString: string } | { SecretBinary: Uint8Array } {
  return value.kind === 'string' ? { SecretString: value.text } : { SecretBinary: value.bytes };
}

function expectValue(output: { SecretString?: string | undefined; SecretBinary?: Uint8Array | undefined }, value: Value, versionId: string): void {
  if (value.kind === 'string') {
    expect(output.SecretString, `value of ${versionId}`).toBe(value.text);
    expect(output.SecretBinary).toBeUndefined();
  } else {
    expect(output.SecretString).toBeUndefined();
    expect(Buffer.from(output.SecretBinary ?? []).equals(value.bytes), `binary value of ${versionId}`).toBe(true);
  }
}

async function listAllVersions(client: SecretsManagerClient, secretId: string) {
  const versions: { id: string; stages: string[] }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true, MaxResults: 100, NextToken: nextToken }),
    );
    for (const version of page.Versions ?? []) versions.push({ id: version.VersionId!, stages: version.VersionStages ?? [] });
    nextToken = page.NextToken;
  } while (nextToken);
  return versions;
}

/** Restarts on the given port; when the port is taken meanwhile, on any free port. */
async function start(dataDir: string, port: number, ports: { same: number; other: number }): Promise<RotorProcess> {
  if (port !== 0) {
    try {
      const rotor = await spawnRotor(dataDir, {}, port);
      ports.same++;
      return rotor;
    } catch (error) {
      if (!/EADDRINUSE/.test(String(error))) throw error;
    }
  }
  ports.other++;
  return spawnRotor(dataDir, {}, 0);
}

/** Checks one secret against its history after a restart; settles the put cut off by the kill. */
async function verifySecret(client: SecretsManagerClient, state: SecretState, ackedThisCycle: readonly string[]): Promise<void> {
  let listed = await listAllVersions(client, state.name);
  const cutOff = state.inFlightAtKill;
  state.inFlightAtKill = undefined;
  if (cutOff) {
    if (listed.some((version) => version.id === cutOff.versionId)) {
      // It committed before the kill: it is the newest version, with the value that was sent.
      const output = await client.send(new GetSecretValueCommand({ SecretId: state.name, VersionId: cutOff.versionId }));
      expectValue(output, cutOff.value, cutOff.versionId);
      state.history.push(cutOff.versionId);
    } else {
      lost.add(cutOff.versionId);
      values.delete(cutOff.versionId);
    }
    listed = await listAllVersions(client, state.name);
  }
  const listedIds = new Set(listed.map((version) => version.id));
  for (const versionId of state.history) expect(listedIds.has(versionId), `acknowledged version ${versionId} of ${state.name} is present`).toBe(true);
  for (const version of listed) {
    expect(lost.has(version.id), `version ${version.id} whose put never committed`).toBe(false);
    expect(state.history.includes(version.id), `unknown version ${version.id} of ${state.name}`).toBe(true);
  }
  const current = listed.filter((version) => version.stages.includes('AWSCURRENT'));
  expect(current.map((version) => version.id), `AWSCURRENT of ${state.name}`).toEqual([state.history.at(-1)]);
  if (state.history.length > 1) {
    const previous = listed.filter((version) => version.stages.includes('AWSPREVIOUS'));
    expect(previous.map((version) => version.id), `AWSPREVIOUS of ${state.name}`).toEqual([state.history.at(-2)]);
  }
  const latest = state.history.at(-1)!;
  const currentValue = await client.send(new GetSecretValueCommand({ SecretId: state.name }));
  expect(currentValue.VersionId).toBe(latest);
  expectValue(currentValue, values.get(latest)!, latest);
  for (const versionId of ackedThisCycle) {
    const output = await client.send(new GetSecretValueCommand({ SecretId: state.name, VersionId: versionId }));
    expectValue(output, values.get(versionId)!, versionId);
  }
}

interface CycleResult {
  acked: number;
  inFlightAtKill: number;
  ackedPerSecret: Map<string, string[]>;
}

/** Streams puts from WRITERS concurrent writers and SIGKILLs the server 50–400 ms in. */
async function putUntilKilled(rotor: RotorProcess, credentials: Credentials, secrets: readonly SecretState[], cycle: number): Promise<CycleResult> {
  const client = sdkClient(rotor.url, credentials);
  const result: CycleResult = { acked: 0, inFlightAtKill: 0, ackedPerSecret: new Map(secrets.map((s) => [s.name, []])) };
  let killed = false;
  let counter = 0;
  const pending = new Set<string>();
  const writer = async () => {
    while (!killed) {
      const free = secrets.filter((secret) => !secret.busy);
      if (free.length === 0) {
        await sleep(1);
        continue;
      }
      const state = free[randomInt(free.length)]!;
      state.busy = true;
      const versionId = randomUUID();
      const value = newValue(cycle, counter++);
      values.set(versionId, value);
      pending.add(versionId);
      try {
        const output = await client.send(
          new PutSecretValueCommand({ SecretId: state.name, ClientRequestToken: versionId, ...valueFields(value) }),
        );
        expect(output.VersionId).toBe(versionId);
        expect(output.VersionStages).toEqual(['AWSCURRENT']);
        state.history.push(versionId);
        result.ackedPerSecret.get(state.name)!.push(versionId);
        result.acked++;
      } catch (error) {
        if (!killed) throw error;
        state.inFlightAtKill = { versionId, value };
      } finally {
        pending.delete(versionId);
        state.busy = false;
      }
    }
  };
  const writers = Array.from({ length: WRITERS }, writer);
  const killer = (async () => {
    await sleep(50 + randomInt(351));
    killed = true;
    result.inFlightAtKill = pending.size;
    rotor.child.kill('SIGKILL');
  })();
  try {
    await Promise.all([...writers, killer]);
  } finally {
    killed = true;
    rotor.child.kill('SIGKILL');
    await childExit(rotor.child);
    client.destroy();
  }
  return result;
}

describe('SIGKILL during a stream of PutSecretValue calls', () => {
  const dataDir = tempDir('rotor-sigkill-');
  let last: RotorProcess | undefined;

  afterAll(async () => {
    if (last) await stopChild(last.child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged version and exactly one AWSCURRENT across ${CYCLES} kill -9 restarts`, { timeout: 150_000 }, async () => {
    const ports = { same: 0, other: 0 };
    last = await spawnRotor(dataDir);
    const port = Number(new URL(last.url).port);
    const credentials = readCredentials(dataDir);
    const secrets: SecretState[] = [];
    {
      const client = sdkClient(last.url, credentials);
      for (let i = 0; i < SECRETS; i++) {
        const name = `crash/secret-${i}`;
        const versionId = randomUUID();
        const value = newValue(-1, i);
        values.set(versionId, value);
        await client.send(new CreateSecretCommand({ Name: name, ClientRequestToken: versionId, ...valueFields(value) }));
        secrets.push({ name, history: [versionId], busy: false, inFlightAtKill: undefined });
      }
      client.destroy();
    }

    let acked = 0;
    let inFlightAtKill = 0;
    let settledCommitted = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const result = await putUntilKilled(last, credentials, secrets, cycle);
      acked += result.acked;
      inFlightAtKill += result.inFlightAtKill;
      expect(last.child.signalCode, `cycle ${cycle}: the server died of the SIGKILL`).toBe('SIGKILL');

      last = await start(dataDir, port, ports);
      const client = sdkClient(last.url, credentials);
      try {
        const before = secrets.reduce((sum, state) => sum + state.history.length, 0);
        await Promise.all(secrets.map((state) => verifySecret(client, state, result.ackedPerSecret.get(state.name)!)));
        settledCommitted += secrets.reduce((sum, state) => sum + state.history.length, 0) - before;
      } finally {
        client.destroy();
      }
    }

    // A final pass over everything ever acknowledged, on the server that survived the last kill.
    const client = sdkClient(last.url, credentials);
    try {
      await Promise.all(
        secrets.map(async (state) => {
          for (const versionId of state.history) {
            const output = await client.send(new GetSecretValueCommand({ SecretId: state.name, VersionId: versionId }));
            expectValue(output, values.get(versionId)!, versionId);
          }
        }),
      );
    } finally {
      client.destroy();
    }
    await stopChild(last.child);
    expect((await childExit(last.child)).code).toBe(0);

    console.log(
      `sigkill: ${CYCLES} kills, ${acked} acknowledged puts, ${inFlightAtKill} in flight at a kill ` +
        `(${settledCommitted} of them had committed), restarts on the same port ${ports.same}, on another ${ports.other}`,
    );
    // The test means something only if the kills really landed in the middle of writes.
    expect(acked).toBeGreaterThanOrEqual(CYCLES * 5);
    expect(inFlightAtKill).toBeGreaterThanOrEqual(CYCLES);
  });
});
