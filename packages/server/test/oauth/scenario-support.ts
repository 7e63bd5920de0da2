import Database from 'better-sqlite3';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config/config.js';
import { startRotor } from '../../src/main.js';
import { OAuthHarness, tokenHash, type ApiResponse, type InstallationValue, type ShiftedClock, type SimEvent } from '../support/oauth-harness.js';
import { until } from '../support/rotation-probes.js';
import { readCredentials, sdkClient, silentLogger, tempDir, testBackend, testDatabaseUrlOf, type TestRotor } from '../support/rotor-server.js';

/**
 * Helpers of the §6 failure-scenario suites (reference oauth-rotation.md §6): provider-side
 * truth from the simulator (events, families), Rotor-side truth (stored values, rotation
 * events), fault rules, and the two injections the simulator cannot make — a store whose
 * writes fail, and Rotor replicas sharing one PostgreSQL store. Assertions compare token
 * hashes, never token values, so a failing test prints no token.
 */

export interface ProviderEvent extends SimEvent {
  grant_type?: string | null;
  http_status?: number | null;
  reason?: string | null;
  issued_access_token_hash?: string;
  issued_refresh_token_hash?: string;
}

export interface FamilyDetail {
  id: string;
  kind: string;
  generation: number;
  revoked_at: number | null;
  revoked_reason: string | null;
  absolute_expires_at: number | null;
  active_access_tokens: number;
  current_refresh_token_hash: string | null;
  access_tokens: { hash: string; generation: number; expires_at: number; state: string; revoked_reason: string | null }[];
  refresh_tokens: { hash: string; generation: number; state: string; idle_expires_at: number | null; revoked_reason: string | null }[];
}

export interface FaultRule {
  match?: Record<string, unknown>;
  action: string;
  status?: number;
  error?: string;
  retry_after?: number;
  delay_ms?: number;
  phase?: 'before' | 'after';
  times?: number;
}

export const hash = (token: string | undefined): string => (token === undefined ? 'none' : tokenHash(token));

/** The token endpoint of the harness's app: Slack `oauth.v2.access` or generic `token`. */
export function tokenEndpoint(harness: OAuthHarness): string {
  return harness.app.personality === 'slack' ? 'oauth.v2.access' : 'token';
}

/** Every refresh-grant request the provider saw (any outcome), oldest first. */
export async function refreshRequests(harness: OAuthHarness, family?: string): Promise<ProviderEvent[]> {
  const events = (await harness.events({ endpoint: tokenEndpoint(harness), ...(family ? { family } : {}) })) as ProviderEvent[];
  return events.filter((event) => event.grant_type === 'refresh_token');
}

export function outcomes(events: readonly ProviderEvent[]): string[] {
  return events.map((event) => event.outcome);
}

/** The app's families of one kind (`bot`, `user`, `generic`), in creation order. */
export async function familiesOf(harness: OAuthHarness, kind?: string): Promise<FamilyDetail[]> {
  const query = new URLSearchParams({ client_id: harness.app.client_id });
  if (kind) query.set('kind', kind);
  const page = await harness.simAdmin<{ families: { id: string }[] }>('GET', `/_sim/families?${query.toString()}`);
  return Promise.all(page.families.map((family) => familyDetail(harness, family.id)));
}

export function familyDetail(harness: OAuthHarness, id: string): Promise<FamilyDetail> {
  return harness.simAdmin<FamilyDetail>('GET', `/_sim/families/${encodeURIComponent(id)}`);
}

/** The one family of `kind` (throws when there are more or none). */
export async function onlyFamily(harness: OAuthHarness, kind: string): Promise<FamilyDetail> {
  const families = await familiesOf(harness, kind);
  if (families.length !== 1) throw new Error(`expected one ${kind} family, found ${families.length}`);
  return families[0]!;
}

/** Appends fault rules, each limited to the harness's app unless its match says otherwise. */
export async function addFaults(harness: OAuthHarness, ...rules: FaultRule[]): Promise<{ id: string; fired: number }[]> {
  const answer = await harness.simAdmin<{ rules: { id: string; fired: number }[] }>('POST', '/_sim/faults', {
    rules: rules.map((rule) => ({ ...rule, match: { client_id: harness.app.client_id, ...rule.match } })),
  });
  return answer.rules;
}

export async function faultFired(harness: OAuthHarness, id: string): Promise<number> {
  const answer = await harness.simAdmin<{ rules: { id: string; fired: number }[] }>('GET', '/_sim/faults');
  return answer.rules.find((rule) => rule.id === id)?.fired ?? 0;
}

/** A refresh-grant fault on the app's token endpoint. */
export function refreshFault(harness: OAuthHarness, rule: FaultRule): FaultRule {
  return { ...rule, match: { endpoint: tokenEndpoint(harness), grant_type: 'refresh_token', ...rule.match } };
}

/** Describes a stored value without its tokens (for failure messages). */
export function describeValue(current: { versionId: string; value: InstallationValue }): string {
  const chains = (['bot', 'user', 'chain'] as const)
    .filter((name) => current.value[name] !== undefined)
    .map((name) => {
      const chain = current.value[name]!;
      return `${name}: at=${hash(chain.access_token)} rt=${hash(chain.refresh_token)} expires_at=${String(chain.expires_at)} status=${String(chain.status)}`;
    });
  return `version ${current.versionId}: ${chains.join('; ')}`;
}

/** Waits until the stored AWSCURRENT value satisfies `accept`. */
export function waitForValue(
  harness: OAuthHarness,
  name: string,
  accept: (current: { versionId: string; value: InstallationValue }) => boolean,
  timeoutMs = 20_000,
): Promise<{ versionId: string; value: InstallationValue }> {
  return until(() => harness.currentValue(name), accept, { timeoutMs, describe: describeValue });
}

/** Waits until the provider's event log (of the app) satisfies `accept`. */
export function waitForProvider(harness: OAuthHarness, accept: (events: ProviderEvent[]) => boolean, timeoutMs = 20_000): Promise<ProviderEvent[]> {
  return until(() => harness.events() as Promise<ProviderEvent[]>, accept, {
    timeoutMs,
    describe: (events) => `provider events: ${events.map((event) => `${event.endpoint}/${event.outcome}${event.error ? `(${event.error})` : ''}`).join(', ')}`,
  });
}

/** Rotor's events of one kind for a secret. */
export async function rotorEvents(harness: OAuthHarness, name: string, kind: string): Promise<{ Kind: string; Message: string | null }[]> {
  return (await harness.rotationEvents(name)).filter((event) => event.Kind === kind);
}

export interface RotationRunView {
  State: string;
  Step: string;
  Attempt: number;
  LastError: string | null;
  NextAttemptDate: string | null;
}

export async function rotationStatus(harness: OAuthHarness, name: string): Promise<{ Current: RotationRunView | null; LastRun: RotationRunView | null; NextRotationDate: string | null }> {
  const response = await harness.api<{ Current: RotationRunView | null; LastRun: RotationRunView | null; NextRotationDate: string | null }>(
    'GET',
    `/v1/secrets/${encodeURIComponent(name)}/rotation`,
  );
  return response.body;
}

/** NextRotationDate of DescribeSecret in epoch seconds, or undefined when nothing is scheduled. */
export async function nextRotationSeconds(harness: OAuthHarness, name: string): Promise<number | undefined> {
  const described = await harness.describe(name);
  return described.NextRotationDate === undefined ? undefined : described.NextRotationDate.getTime() / 1000;
}

/** A Slack method called with `token` at the simulator: `{ok, error}`. */
export async function callSlack(harness: OAuthHarness, token: string, method = 'chat.postMessage'): Promise<{ ok: boolean; error?: string; expires_in?: number }> {
  const response = await fetch(`${harness.simUrl}/api/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'channel=C1&text=hello',
  });
  return (await response.json()) as { ok: boolean; error?: string; expires_in?: number };
}

/** The generic personality's protected resource called with `token`: the HTTP status. */
export async function callResource(harness: OAuthHarness, token: string): Promise<number> {
  const response = await fetch(`${harness.simUrl}/oauth2/resource`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

/** Imports installation records through Rotor's import API (as `rotor oauth import` does). */
export async function importRecords(harness: OAuthHarness, records: unknown[]): Promise<string[]> {
  const response = await harness.api<{ Installations: { Name: string }[] }>('POST', `/v1/oauth/${harness.functionName}/installations`, { installations: records });
  if (response.status !== 200) throw new Error(`import failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.Installations.map((installation) => installation.Name);
}

export interface EnsureFreshBody {
  VersionId: string;
  AccessToken: string;
  ExpiresAt: number | null;
  Refreshed: boolean;
  NextRotationDate: number | null;
  Chain: string;
  type?: string;
  code?: string;
}

export function ensureFresh(harness: OAuthHarness, name: string, body: { minValidSeconds?: number; ifVersion?: string; chain?: string } = {}): Promise<ApiResponse<EnsureFreshBody>> {
  return harness.api<EnsureFreshBody>('POST', `/v1/secrets/${encodeURIComponent(name)}/ensure-fresh`, { minValidSeconds: 300, ...body });
}

/** Waits `ms` of real time (to give a misbehaving engine the chance to act before checking it did not). */
export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Makes the store refuse to fill AWSPENDING versions (the write that persists refreshed
 * tokens) until `unblock()`: a trigger in Rotor's own database, on SQLite or PostgreSQL.
 * Every other write goes through, so only "store write fails after a successful refresh"
 * (scenario 9) is injected. Nothing in Rotor is mocked.
 */
export async function blockPendingWrites(harness: OAuthHarness): Promise<() => Promise<void>> {
  const dataDir = harness.rotor.dataDir;
  if (testBackend === 'sqlite') {
    const db = new Database(join(dataDir, 'rotor.db'));
    db.pragma('busy_timeout = 5000');
    db.exec(`CREATE TRIGGER test_block_pending_fill BEFORE UPDATE OF kind ON versions WHEN OLD.kind = 'empty' AND NEW.kind <> 'empty'
             BEGIN SELECT RAISE(ABORT, 'injected store failure'); END;`);
    return async () => {
      db.exec('DROP TRIGGER IF EXISTS test_block_pending_fill');
      db.close();
    };
  }
  const url = testDatabaseUrlOf(dataDir);
  if (url === undefined) throw new Error(`no PostgreSQL database is known for ${dataDir}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE FUNCTION test_block_pending_fill() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected store failure'; END $$`);
  await client.query(`CREATE TRIGGER test_block_pending_fill BEFORE UPDATE ON versions FOR EACH ROW
                      WHEN (OLD.kind = 'empty' AND NEW.kind <> 'empty') EXECUTE FUNCTION test_block_pending_fill()`);
  return async () => {
    await client.query('DROP TRIGGER IF EXISTS test_block_pending_fill ON versions');
    await client.query('DROP FUNCTION IF EXISTS test_block_pending_fill()');
    await client.end();
  };
}

/**
 * An in-process Rotor on a shared PostgreSQL database with a given root key: one replica of
 * a set whose others are `rotor serve` processes (ReplicaCluster) on the same database.
 */
export function sharedStoreRotor(databaseUrl: string, rootKey: string): (clock: ShiftedClock) => Promise<TestRotor> {
  return async (clock) => {
    const dataDir = tempDir('rotor-oauth-replica-');
    writeFileSync(join(dataDir, 'root.key'), `${rootKey}\n`, { mode: 0o600 });
    const config = loadConfig({ flags: { port: 0, dataDir, logLevel: 'silent', database: databaseUrl }, env: {} });
    const rotor = await startRotor(config, { logger: silentLogger, clock });
    const credentials = readCredentials(dataDir);
    const client = sdkClient(rotor.url, credentials);
    return {
      url: rotor.url,
      dataDir,
      credentials,
      client,
      rotor,
      async close() {
        client.destroy();
        await rotor.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  };
}
