import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, errorName, replicaClient, ReplicaCluster, type ScratchDatabase } from '../support/replica-cluster.js';
import { listAllVersions } from '../support/rotation-probes.js';

/**
 * Concurrent CreateSecret and PutSecretValue calls that carry one ClientRequestToken,
 * sent at the same moment through different replicas over HTTP, behave as one call:
 * every caller gets the same answer and one version exists; a token reused with another
 * value is refused with ResourceExistsException, as on AWS, and the winner's value stays.
 */

const ROUNDS = 50;

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

async function settle(calls: Promise<unknown>[]): Promise<Outcome[]> {
  return (await Promise.allSettled(calls)).map((result) =>
    result.status === 'fulfilled' ? { ok: true, value: result.value } : { ok: false, error: errorName(result.reason) },
  );
}

/** The response fields a caller acts on (the SDK adds per-request $metadata). */
function answer(outcome: Outcome): unknown {
  if (!outcome.ok) return outcome.error;
  const { $metadata: _metadata, ...fields } = outcome.value as Record<string, unknown>;
  return fields;
}

describe('one ClientRequestToken on several replicas at once', () => {
  let db: ScratchDatabase;
  let cluster: ReplicaCluster;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let clients: SecretsManagerClient[] = [];

  beforeAll(async () => {
    db = await createScratchDatabase('rotor_tokens');
    cluster = new ReplicaCluster({ databaseUrl: db.url, count: 3 });
    await cluster.startAll();
    const credentials = cluster.credentials();
    clients = cluster.replicas.map((replica) => replicaClient(replica.url, credentials, { agent, requestTimeoutMs: 15_000 }));
    // Warm connections, so the racing calls leave together rather than behind a TCP handshake.
    await Promise.all(clients.map((client) => client.send(new ListSecretsCommand({}))));
  });
  afterAll(async () => {
    agent.destroy();
    await cluster.destroy();
    await db.drop();
  });

  it(`answers every racing call alike, ${ROUNDS} rounds of 2- and 3-way races`, async () => {
    const started = Date.now();
    const expected = new Map<string, { versions: Map<string, string>; current: string; previous: string }>();
    let refusals = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Which replicas race: all three, or a pair that changes with the round.
      const pair = [clients[round % 3]!, clients[(round + 1) % 3]!];
      const name = `tokens/${round}`;

      // CreateSecret, 3-way, same token and value.
      const createToken = randomUUID();
      const created = await settle(clients.map((client) => client.send(new CreateSecretCommand({ Name: name, ClientRequestToken: createToken, SecretString: `initial-${round}` }))));
      expect(created.map(answer)).toEqual(created.map(() => answer(created[0]!)));
      expect(created[0]).toMatchObject({ ok: true, value: { Name: name, VersionId: createToken } });

      // PutSecretValue, 3-way on even rounds and 2-way on odd ones, same token and value.
      const putToken = randomUUID();
      const racers = round % 2 === 0 ? clients : pair;
      const put = await settle(racers.map((client) => client.send(new PutSecretValueCommand({ SecretId: name, ClientRequestToken: putToken, SecretString: `second-${round}` }))));
      expect(put.map(answer)).toEqual(put.map(() => answer(put[0]!)));
      expect(put[0]).toMatchObject({ ok: true, value: { VersionId: putToken, VersionStages: ['AWSCURRENT'] } });

      // PutSecretValue, same token, different values: one wins, the others are told the token is taken.
      const contestedToken = randomUUID();
      const contested = await settle(
        racers.map((client, i) => client.send(new PutSecretValueCommand({ SecretId: name, ClientRequestToken: contestedToken, SecretString: `contested-${round}-${i}` }))),
      );
      const winners = contested.flatMap((outcome, i) => (outcome.ok ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(contested.filter((outcome) => !outcome.ok).map(answer)).toEqual(Array(racers.length - 1).fill('ResourceExistsException'));
      refusals += racers.length - 1;

      // CreateSecret of another name, same token, different values: one secret, the loser refused.
      const otherName = `tokens/${round}/other`;
      const otherToken = randomUUID();
      const others = await settle(pair.map((client, i) => client.send(new CreateSecretCommand({ Name: otherName, ClientRequestToken: otherToken, SecretString: `other-${round}-${i}` }))));
      const otherWinners = others.flatMap((outcome, i) => (outcome.ok ? [i] : []));
      expect(otherWinners).toHaveLength(1);
      expect(others.filter((outcome) => !outcome.ok).map(answer)).toEqual(['ResourceExistsException']);
      refusals += 1;

      expected.set(name, {
        versions: new Map([
          [createToken, `initial-${round}`],
          [putToken, `second-${round}`],
          [contestedToken, `contested-${round}-${winners[0]}`],
        ]),
        current: contestedToken,
        previous: putToken,
      });
      expected.set(otherName, { versions: new Map([[otherToken, `other-${round}-${otherWinners[0]}`]]), current: otherToken, previous: '' });
    }

    // Afterwards, read through every replica: the versions, labels and values the winners wrote.
    for (const [name, want] of expected) {
      for (const client of clients) {
        const versions = await listAllVersions(client, name);
        const byId = Object.fromEntries(versions.map((version) => [version.id, [...version.stages].sort()]));
        const wantLabels = Object.fromEntries(
          [...want.versions.keys()].map((id) => [id, id === want.current ? ['AWSCURRENT'] : id === want.previous ? ['AWSPREVIOUS'] : []]),
        );
        expect(byId, name).toEqual(wantLabels);
      }
      for (const [versionId, value] of want.versions) {
        const read = await clients[0]!.send(new GetSecretValueCommand({ SecretId: name, VersionId: versionId }));
        expect(read.SecretString, `${name} ${versionId}`).toBe(value);
      }
    }
    // One audited write per version: the calls that lost a race and were answered from the
    // stored version wrote nothing.
    const audit = await db.pool.query<{ operation: string; n: string }>(
      "SELECT operation, count(*) AS n FROM audit_log WHERE operation IN ('CreateSecret', 'PutSecretValue') GROUP BY operation, secret_arn, version_id HAVING count(*) > 1",
    );
    expect(audit.rows).toEqual([]);
    const versionCount = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM versions');
    expect(Number(versionCount.rows[0]!.n)).toBe(ROUNDS * 4);
    console.log(`same-token: ${ROUNDS} rounds, ${expected.size} secrets, ${refusals} ResourceExists refusals, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 180_000);
});
