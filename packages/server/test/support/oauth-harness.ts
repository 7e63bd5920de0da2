import {
  SecretsManagerClient,
  PutSecretValueCommand,
  CreateSecretCommand,
  GetSecretValueCommand,
  DescribeSecretCommand,
  BatchGetSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { startProviderSim, tokenHash, type ProviderSim } from '@rotor/provider-sim';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../src/ports/clock.js';
import { until } from './rotation-probes.js';
import { signHeaders } from './signed-http.js';
import { startTestRotor, type Credentials, type TestRotor } from './rotor-server.js';
import { rmSync } from 'node:fs';
import { dropTestDatabaseOf } from './rotor-server.js';

/**
 * Rotor (in this process) against the provider simulator over HTTP, on one shared
 * timeline: both clocks run with real time from the same simulated start, and
 * `advance()` jumps both at once, so token expiries, grace windows and Rotor's schedule
 * agree. Rotor's side is real throughout: AWS SDK calls, SigV4-signed `/v1` calls, the
 * `slack`/`oauth2` built-in functions, the worker and the scheduler.
 */
export class ShiftedClock implements Clock {
  offsetMs: number;
  constructor(startMs: number) {
    this.offsetMs = startMs - Date.now();
  }
  /** Whole milliseconds, as the Clock port promises: PostgreSQL stores times as BIGINT. */
  now(): number {
    return Math.round(Date.now() + this.offsetMs);
  }
  shift(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface SimEvent {
  seq: number;
  t: number;
  endpoint: string;
  client_id: string;
  family: string | null;
  kind: string | null;
  team_id?: string | null;
  presented_token_hash: string | null;
  outcome: string;
  error?: string | null;
  fault?: string | null;
  generation_before: number | null;
  generation_after: number | null;
  grant_type?: string | null;
  http_status?: number | null;
  issued_refresh_token_hash?: string;
  issued_access_token_hash?: string;
}

export interface SimFamily {
  id: string;
  kind: string;
  team_id: string | null;
  generation: number;
  revoked_at: number | null;
  active_access_tokens?: number;
  current_refresh_token_hash?: string | null;
  [field: string]: unknown;
}

/** A chain of a stored installation value (docs/design/oauth-contracts.md §1). */
export interface ChainValue {
  access_token: string;
  refresh_token?: string;
  issued_at?: number;
  expires_at?: number;
  status?: string;
  status_reason?: string;
  [field: string]: unknown;
}

export interface InstallationValue {
  provider: string;
  bot?: ChainValue;
  user?: ChainValue;
  chain?: ChainValue;
  [field: string]: unknown;
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export interface OAuthHarnessOptions {
  /** Simulator preset of the app (`slack`, `auth0`, `hubspot`, …). @default 'slack' */
  readonly preset?: string;
  readonly knobs?: Record<string, unknown>;
  /** Extra configuration of the Rotor function (graceSeconds, refreshFraction, …). */
  readonly functionConfig?: Record<string, unknown>;
  /** Simulated start, epoch seconds. @default 1_800_000_000 */
  readonly start?: number;
  /** An already running simulator (a child process, say); the harness starts one in-process otherwise. */
  readonly simUrl?: string;
  /**
   * Starts Rotor some other way (on a shared PostgreSQL database, say); it must use `clock`.
   * @default startTestRotor({ clock })
   */
  readonly rotor?: (clock: ShiftedClock) => Promise<TestRotor>;
}

export const defaultStart = 1_800_000_000;

export class OAuthHarness {
  private constructor(
    readonly sim: ProviderSim | undefined,
    readonly simUrl: string,
    readonly rotor: TestRotor,
    readonly clock: ShiftedClock,
    readonly app: { client_id: string; client_secret: string; personality: string },
    readonly functionName: string,
    readonly masterSecretArn: string,
  ) {}

  static async start(options: OAuthHarnessOptions = {}): Promise<OAuthHarness> {
    const start = options.start ?? defaultStart;
    const sim = options.simUrl ? undefined : await startProviderSim({ seed: 7, now: start });
    const simUrl = options.simUrl ?? sim!.url;
    const clock = new ShiftedClock(start * 1000);
    await simJson(simUrl, 'POST', '/_sim/clock', { set: clock.now() / 1000 });
    await simJson(simUrl, 'POST', '/_sim/clock', { freeze: false, rate: 1 });
    const app = (await simJson(simUrl, 'POST', '/_sim/apps', { preset: options.preset ?? 'slack', knobs: options.knobs ?? {} })) as {
      client_id: string;
      client_secret: string;
      personality: string;
    };
    const rotor = options.rotor ? await options.rotor(clock) : await startTestRotor({ clock });
    const master = await sdkAt(rotor, clock).send(
      new CreateSecretCommand({ Name: 'oauth/master', SecretString: JSON.stringify({ client_id: app.client_id, client_secret: app.client_secret }) }),
    );
    const slack = app.personality === 'slack';
    const functionName = slack ? 'slack' : 'oauth2app';
    await rotor.rotor.functions.create({
      name: functionName,
      builtin: slack ? 'slack' : 'oauth2',
      config: {
        masterSecretArn: master.ARN!,
        ...(slack ? { apiBaseUrl: `${simUrl}/api` } : { tokenUrl: `${simUrl}/oauth2/token`, checkUrl: `${simUrl}/oauth2/resource` }),
        requestTimeoutMs: 2_000,
        install: { secretNamePattern: slack ? 'slack/{team_id}' : 'oauth2/{app_id}', redirectUri: 'http://127.0.0.1/callback' },
        ...options.functionConfig,
      },
    });
    return new OAuthHarness(sim, simUrl, rotor, clock, app, functionName, master.ARN!);
  }

  private sdkCache: { offsetMs: number; client: SecretsManagerClient } | undefined;

  /** An AWS SDK client that signs on the shared timeline (Rotor refuses signatures 5 minutes off its clock). */
  sdk(): SecretsManagerClient {
    if (this.sdkCache?.offsetMs !== this.clock.offsetMs) {
      this.sdkCache?.client.destroy();
      this.sdkCache = { offsetMs: this.clock.offsetMs, client: sdkAt(this.rotor, this.clock) };
    }
    return this.sdkCache.client;
  }

  /** Jumps both clocks by `seconds` and wakes Rotor's scheduler and worker. */
  async advance(seconds: number): Promise<void> {
    await simJson(this.simUrl, 'POST', '/_sim/clock', { advance: seconds });
    this.clock.shift(seconds * 1000);
    this.rotor.rotor.wake();
  }

  /** Simulated now, epoch seconds (Rotor's clock; the simulator's agrees to a few ms). */
  nowSeconds(): number {
    return this.clock.now() / 1000;
  }

  simAdmin<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    return simJson(this.simUrl, method, path, body) as Promise<T>;
  }

  /** A fresh installation at the provider, imported into Rotor; returns the secret name and the provider's answer. */
  async install(options: { team_id: string; user?: boolean; bot?: boolean } = { team_id: 'T0001' }): Promise<{ name: string; grant: Record<string, unknown> }> {
    const grant = await this.simAdmin('POST', '/_sim/install', { client_id: this.app.client_id, team_id: options.team_id, bot: options.bot ?? true, user: options.user ?? false });
    const record = this.app.personality === 'slack' ? grant : { provider: 'oauth2', app_id: options.team_id, chain: oauth2Chain(grant, this.nowSeconds()) };
    const response = await this.api('POST', `/v1/oauth/${this.functionName}/installations`, { installations: [record] });
    if (response.status !== 200) throw new Error(`import failed: ${response.status} ${JSON.stringify(response.body)}`);
    const stored = (response.body as { Installations: { Name: string }[] }).Installations[0]!;
    return { name: stored.Name, grant };
  }

  /** A SigV4-signed (service `rotor`) call to Rotor's own API. */
  async api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    return signedApi<T>(this.rotor.url, this.rotor.credentials, method, path, body, new Date(this.clock.now()));
  }

  ensureFresh(secretId: string, body: { minValidSeconds?: number; ifVersion?: string; chain?: string } = {}): Promise<ApiResponse> {
    return this.api('POST', `/v1/secrets/${encodeURIComponent(secretId)}/ensure-fresh`, { minValidSeconds: 300, ...body });
  }

  async currentValue(secretId: string): Promise<{ versionId: string; value: InstallationValue }> {
    const output = await this.sdk().send(new GetSecretValueCommand({ SecretId: secretId }));
    return { versionId: output.VersionId!, value: JSON.parse(output.SecretString!) as InstallationValue };
  }

  async describe(secretId: string) {
    return this.sdk().send(new DescribeSecretCommand({ SecretId: secretId }));
  }

  async putValue(secretId: string, value: unknown): Promise<void> {
    await this.sdk().send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(value) }));
  }

  async events(filter: { endpoint?: string; family?: string; since?: number } = {}): Promise<SimEvent[]> {
    const events: SimEvent[] = [];
    let since = filter.since ?? 0;
    for (;;) {
      const query = new URLSearchParams({ since: String(since), client_id: this.app.client_id, limit: '5000' });
      if (filter.endpoint) query.set('endpoint', filter.endpoint);
      if (filter.family) query.set('family', filter.family);
      const page = (await this.simAdmin('GET', `/_sim/events?${query.toString()}`)) as { events: SimEvent[]; next: number };
      events.push(...page.events);
      if (page.events.length === 0 || page.next === since) return events;
      since = page.next;
    }
  }

  /** Refresh grants the provider accepted (issued or grace replays), optionally for one family. */
  async acceptedRefreshes(family?: string): Promise<SimEvent[]> {
    const endpoint = this.app.personality === 'slack' ? 'oauth.v2.access' : 'token';
    return (await this.events({ endpoint, ...(family ? { family } : {}) })).filter((event) => event.outcome === 'issued' || event.outcome === 'grace_replay');
  }

  /** The Rotor rotation events of one secret (history API), oldest first. */
  async rotationEvents(secretId: string): Promise<{ Kind: string; Message: string | null }[]> {
    type Event = { EventId: number; Kind: string; Message: string | null };
    const response = await this.api<{ Rotations: { Events: Event[] }[]; Events: Event[] }>('GET', `/v1/secrets/${encodeURIComponent(secretId)}/rotations?limit=100`);
    return [...response.body.Rotations.flatMap((rotation) => rotation.Events), ...response.body.Events].sort((a, b) => a.EventId - b.EventId);
  }

  /** Waits until no rotation of `secretId` runs. */
  async settled(secretId: string, timeoutMs = 20_000): Promise<void> {
    await until(
      async () => (await this.api<{ Current: unknown }>('GET', `/v1/secrets/${encodeURIComponent(secretId)}/rotation`)).body,
      (status) => status.Current === null,
      { timeoutMs, describe: (status) => `rotation of ${secretId} still running: ${JSON.stringify(status.Current)}` },
    );
  }

  /**
   * Many installations at once: provider installs `concurrency` at a time, imported in
   * batches of `batchSize` (one import call each). Returns the secret names in `teamIds` order.
   */
  async installMany(teamIds: readonly string[], options: { batchSize?: number; concurrency?: number } = {}): Promise<string[]> {
    const batchSize = options.batchSize ?? 100;
    const concurrency = options.concurrency ?? 16;
    const grants: Record<string, unknown>[] = new Array<Record<string, unknown>>(teamIds.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, teamIds.length) }, async () => {
        for (let index = next++; index < teamIds.length; index = next++) {
          grants[index] = await this.simAdmin('POST', '/_sim/install', { client_id: this.app.client_id, team_id: teamIds[index], bot: true, user: false });
        }
      }),
    );
    const names: string[] = [];
    for (let start = 0; start < grants.length; start += batchSize) {
      const records = grants.slice(start, start + batchSize).map((grant, offset) =>
        this.app.personality === 'slack' ? grant : { provider: 'oauth2', app_id: teamIds[start + offset], chain: oauth2Chain(grant, this.nowSeconds()) },
      );
      const response = await this.api<{ Installations: { Name: string }[] }>('POST', `/v1/oauth/${this.functionName}/installations`, { installations: records });
      if (response.status !== 200) throw new Error(`import failed: ${response.status} ${JSON.stringify(response.body)}`);
      names.push(...response.body.Installations.map((stored) => stored.Name));
    }
    return names;
  }

  /**
   * Whether Rotor is idle on the shared timeline: no rotation active (running, retrying or
   * leased) and no secret due at or before now. Read straight from the in-process store.
   */
  async quiescent(): Promise<boolean> {
    const store = this.rotor.rotor.dataDir.store;
    if ((await store.earliestRunnableAt()) !== undefined) return false;
    const due = await store.earliestDueAt();
    return due === undefined || due > this.clock.now();
  }

  /** Waits (polling every `pollMs`) until `quiescent()`; throws after `timeoutMs`. */
  async waitQuiescent(timeoutMs = 60_000, pollMs = 10): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.quiescent()) return;
      if (Date.now() > deadline) {
        const store = this.rotor.rotor.dataDir.store;
        throw new Error(
          `Rotor not quiescent after ${timeoutMs} ms: earliest runnable ${String(await store.earliestRunnableAt())}, earliest due ${String(await store.earliestDueAt())}, now ${this.clock.now()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Rotations this Rotor's worker is running right now (its `/health`). */
  async rotationsInFlight(): Promise<number> {
    const response = await fetch(`${this.rotor.url}/health`);
    const body = (await response.json()) as { rotationsInFlight?: number };
    if (typeof body.rotationsInFlight !== 'number') throw new Error(`/health: ${JSON.stringify(body)}`);
    return body.rotationsInFlight;
  }

  /**
   * Like `waitQuiescent`, but skips idle time: when the worker runs nothing and the next
   * thing Rotor will do is a retry (or a due rotation) some seconds ahead, both clocks jump
   * there instead of waiting in real time. Simulated-time semantics are kept (a retry 1 s
   * after a lost answer still happens 1 s later on the shared timeline, inside or outside
   * the provider's grace window exactly as before); only the idle real time goes. Jumps are
   * capped by `maxSkipSeconds` (60) each. Returns the seconds skipped.
   */
  async settle(options: { timeoutMs?: number; pollMs?: number; maxSkipSeconds?: number; stableMs?: number } = {}): Promise<number> {
    const store = this.rotor.rotor.dataDir.store;
    const timeoutMs = options.timeoutMs ?? 60_000;
    const pollMs = options.pollMs ?? 5;
    const stableMs = options.stableMs ?? 50;
    const maxSkipMs = (options.maxSkipSeconds ?? 60) * 1000;
    const deadline = Date.now() + timeoutMs;
    let skippedMs = 0;
    for (;;) {
      const runnable = await store.earliestRunnableAt();
      const due = await store.earliestDueAt();
      const now = this.clock.now();
      const dueNow = due !== undefined && due <= now;
      if (runnable === undefined && !dueNow) return skippedMs / 1000;
      // Idle but for a future attempt: nothing runnable or due now and nothing in flight, and
      // still so `stableMs` later (a claim that is under way shows up by then as a lease and
      // a rotation in flight).
      if (runnable !== undefined && runnable > now && !dueNow && (await this.rotationsInFlight()) === 0) {
        await new Promise((resolve) => setTimeout(resolve, stableMs));
        const runnableAgain = await store.earliestRunnableAt();
        const dueAgain = await store.earliestDueAt();
        const stable = runnableAgain === runnable && dueAgain === due && (await this.rotationsInFlight()) === 0;
        const next = runnableAgain === undefined ? undefined : Math.min(runnableAgain, dueAgain ?? Number.POSITIVE_INFINITY);
        if (stable && next !== undefined && next > this.clock.now()) {
          const jumpMs = Math.min(maxSkipMs, Math.ceil(next - this.clock.now()) + 5);
          await this.advance(jumpMs / 1000);
          skippedMs += jumpMs;
          continue;
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`Rotor not quiescent after ${timeoutMs} ms: earliest runnable ${String(await store.earliestRunnableAt())}, earliest due ${String(await store.earliestDueAt())}, now ${this.clock.now()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Current values of many secrets (BatchGetSecretValue, 20 per call), keyed by name. */
  async currentValues(secretIds: readonly string[]): Promise<Map<string, { versionId: string; value: InstallationValue }>> {
    const values = new Map<string, { versionId: string; value: InstallationValue }>();
    for (let start = 0; start < secretIds.length; start += 20) {
      const output = await this.sdk().send(new BatchGetSecretValueCommand({ SecretIdList: secretIds.slice(start, start + 20) }));
      if (output.Errors && output.Errors.length > 0) throw new Error(`BatchGetSecretValue: ${JSON.stringify(output.Errors)}`);
      for (const entry of output.SecretValues ?? []) {
        values.set(entry.Name!, { versionId: entry.VersionId!, value: JSON.parse(entry.SecretString!) as InstallationValue });
      }
    }
    return values;
  }

  /** The simulator's families of this app (generation, revocation …). */
  async families(): Promise<SimFamily[]> {
    const page = await this.simAdmin<{ families: SimFamily[] }>('GET', `/_sim/families?client_id=${encodeURIComponent(this.app.client_id)}`);
    return page.families;
  }

  /**
   * Stops the in-process Rotor (as a crash would, minus the crash) but keeps its data
   * directory and store, so a `rotor serve` can be spawned on it (`spawnRotor(dataDir)`)
   * or `startRotor()` can bring it back. Only for the default in-process Rotor. Returns the
   * data directory.
   */
  async stopRotor(): Promise<string> {
    const stopped = this.rotor;
    this.sdkCache?.client.destroy();
    this.sdkCache = undefined;
    stopped.client.destroy();
    await stopped.rotor.close();
    const dataDir = stopped.dataDir;
    this.replaceRotor({
      ...stopped,
      async close() {
        await dropTestDatabaseOf(dataDir);
        rmSync(dataDir, { recursive: true, force: true });
      },
    });
    return dataDir;
  }

  /** Starts an in-process Rotor again on the data directory `stopRotor()` kept (after a spawned server on it died, say). */
  async startRotor(): Promise<void> {
    const removeDataDir = this.rotor.close;
    const next = await startTestRotor({ clock: this.clock, dataDir: this.rotor.dataDir });
    this.sdkCache?.client.destroy();
    this.sdkCache = undefined;
    this.replaceRotor({
      ...next,
      async close() {
        await next.close();
        await removeDataDir();
      },
    });
  }

  private replaceRotor(rotor: TestRotor): void {
    (this as { rotor: TestRotor }).rotor = rotor;
  }

  async close(): Promise<void> {
    this.sdkCache?.client.destroy();
    await this.rotor.close();
    await this.sim?.close();
  }
}

function sdkAt(rotor: TestRotor, clock: ShiftedClock): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: rotor.url,
    region: 'us-east-1',
    credentials: rotor.credentials,
    systemClockOffset: clock.offsetMs,
    maxAttempts: 1,
  });
}

function oauth2Chain(grant: Record<string, unknown>, now: number): Record<string, unknown> {
  return {
    token_type: 'Bearer',
    access_token: grant.access_token,
    refresh_token: grant.refresh_token,
    issued_at: Math.floor(now),
    expires_at: typeof grant.expires_in === 'number' ? Math.floor(now) + grant.expires_in : undefined,
    scope: grant.scope,
  };
}

export async function simJson(simUrl: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${simUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`simulator ${method} ${path}: ${response.status} ${text}`);
  return text === '' ? {} : JSON.parse(text);
}

export async function signedApi<T>(url: string, credentials: Credentials, method: string, path: string, body?: unknown, signingDate?: Date): Promise<ApiResponse<T>> {
  const payload = Buffer.from(body === undefined ? '' : JSON.stringify(body));
  const headers = await signHeaders({
    url,
    credentials,
    body: payload,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    method,
    path,
    service: 'rotor',
    ...(signingDate ? { signingDate } : {}),
  });
  const response = await fetch(`${url}${path}`, { method, headers, body: method === 'GET' ? undefined : payload });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as T, headers: response.headers };
}

export { tokenHash };

export const simCliEntry = fileURLToPath(new URL('../../../provider-sim/dist/cli.js', import.meta.url));

export interface SimProcess {
  readonly url: string;
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  close(): Promise<void>;
}

/**
 * The provider simulator in a child process (`dist/cli.js`, so `npm run build` first): on
 * a second core, a long run's provider work no longer competes with Rotor's. Pass its `url`
 * as `simUrl` to `OAuthHarness.start`.
 */
export async function startSimProcess(options: { seed?: number } = {}): Promise<SimProcess> {
  const child = spawn(process.execPath, [simCliEntry, '--port', '0', '--seed', String(options.seed ?? 7)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`provider-sim did not start in 20 s: ${err}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`provider-sim exited with ${code}: ${err}`));
    });
  });
  return {
    url,
    child,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
