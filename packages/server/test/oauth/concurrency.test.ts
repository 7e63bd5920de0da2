import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startRotor, type RunningRotor } from '../../src/main.js';
import { OAuthHarness, tokenHash, type ShiftedClock, type SimEvent } from '../support/oauth-harness.js';
import { createScratchDatabase } from '../support/replica-cluster.js';
import { readCredentials, sdkClient, silentLogger, tempDir, type TestRotor } from '../support/rotor-server.js';
import { childExit } from '../support/signed-http.js';

/**
 * Issue 5, item 6 (reference §6 scenario 4): 8 OS processes × 50 concurrent callers ask
 * ensure-fresh for the same installation at the moment it needs a refresh. Judged from
 * the simulator's event log: exactly one accepted refresh per generation (one `issued` for
 * the refresh token Rotor held, no `rejected`, no grace replay), and all 400 callers get
 * the same new access token. Three generations in a row; the first two herds are
 * triggered by `minValidSeconds` (the token is valid, but not long enough for any caller),
 * the third by `ifVersion` (every caller reports the current version as rejected). Once
 * against one Rotor (the suite's backend), once against two Rotor replicas sharing a
 * PostgreSQL database, half of the processes on each.
 */
const processes = 8;
const callersPerProcess = 50;
const fixture = fileURLToPath(new URL('./fixtures/ensure-fresh-caller.mjs', import.meta.url));

interface CallResult {
  status: number;
  tokenHash: string | null;
  versionId: string | null;
  refreshed: boolean | null;
  expiresAt: number | null;
  code: string | null;
}

type Message = { type: 'ready' } | { type: 'results'; results: CallResult[] } | { type: 'error'; message: string };

/** One caller process and its line protocol (see the fixture). */
class CallerProcess {
  readonly #waiting: ((message: Message) => void)[] = [];
  readonly #queued: Message[] = [];
  #stderr = '';

  constructor(readonly child: ChildProcessByStdio<Writable, Readable, Readable>) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as Message;
      const waiter = this.#waiting.shift();
      if (waiter) waiter(message);
      else this.#queued.push(message);
    });
    child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
  }

  static start(url: string, secretId: string, credentials: { accessKeyId: string; secretAccessKey: string }): CallerProcess {
    const child = spawn(process.execPath, [fixture, url, secretId, String(callersPerProcess)], {
      env: { ...process.env, ROTOR_TEST_ACCESS_KEY_ID: credentials.accessKeyId, ROTOR_TEST_SECRET_ACCESS_KEY: credentials.secretAccessKey },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new CallerProcess(child);
  }

  send(message: unknown): void {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  next(): Promise<Message> {
    const queued = this.#queued.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`caller process silent for 30 s; stderr: ${this.#stderr}`)), 30_000);
      this.#waiting.push((message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  }

  async stop(): Promise<void> {
    this.child.stdin.end();
    const exited = childExit(this.child);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Two Rotors in this process on one fresh PostgreSQL database (each with its own data
 * directory, worker and lease owner, the same root key), both on the test's clock. The
 * first is the harness's Rotor; `close()` stops both and drops the database.
 */
async function startReplicaPair(clock: ShiftedClock): Promise<{ first: TestRotor; second: () => RunningRotor }> {
  const database = await createScratchDatabase('rotor_herd');
  const dirs = [tempDir(), tempDir()];
  const start = (dataDir: string) =>
    startRotor(loadConfig({ flags: { port: 0, dataDir, logLevel: 'silent', database: database.url }, env: {} }), { logger: silentLogger, clock });
  const first = await start(dirs[0]!);
  copyFileSync(join(dirs[0]!, 'root.key'), join(dirs[1]!, 'root.key'));
  const second = await start(dirs[1]!);
  const credentials = readCredentials(dirs[0]!);
  const client = sdkClient(first.url, credentials);
  return {
    first: {
      url: first.url,
      dataDir: dirs[0]!,
      credentials,
      client,
      rotor: first,
      async close() {
        client.destroy();
        await Promise.all([first.close(), second.close()]);
        await database.drop();
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      },
    },
    second: () => second,
  };
}

/**
 * Three generations of herds: each round moves the clock, starts 8 × 50 callers at once
 * (process i against `urls[i % urls.length]`), and checks the answers and the provider's log.
 */
async function herds(h: OAuthHarness, urls: readonly string[], label: string): Promise<void> {
  const { name } = await h.install({ team_id: 'THERD' });
  const callers = Array.from({ length: processes }, (_, index) => CallerProcess.start(urls[index % urls.length]!, name, h.rotor.credentials));
  try {
    const [family] = await h.families();
    expect(family).toBeDefined();
    for (let round = 1; round <= 3; round++) {
      const before = await h.currentValue(name);
      const bot = before.value.bot!;
      const since = (await h.events()).reduce((last, event) => Math.max(last, event.seq), 0);
      let body: Record<string, unknown>;
      if (round < 3) {
        // A minute before the scheduled refresh (half the lifetime): the token is valid for
        // six more hours, but every caller needs six hours and two minutes.
        await h.advance(bot.issued_at! + (bot.expires_at! - bot.issued_at!) / 2 - 60 - h.nowSeconds());
        body = { minValidSeconds: Math.ceil(bot.expires_at! - h.nowSeconds()) + 60 };
      } else {
        // Every caller was just refused the current version's token.
        await h.advance(3600);
        body = { minValidSeconds: 60, ifVersion: before.versionId };
      }
      expect(await h.quiescent()).toBe(true);

      for (const caller of callers) caller.send({ type: 'prepare', offsetMs: h.clock.offsetMs, body });
      for (const caller of callers) expect(await caller.next()).toEqual({ type: 'ready' });
      for (const caller of callers) caller.send({ type: 'go' });
      const results: CallResult[] = [];
      for (const caller of callers) {
        const message = await caller.next();
        if (message.type !== 'results') throw new Error(`caller process: ${JSON.stringify(message)}`);
        results.push(...message.results);
      }
      await h.settled(name);

      const after = await h.currentValue(name);
      const newToken = tokenHash(after.value.bot!.access_token);
      // All 400 callers: 200 and the same new token, of the new version (checked first: a
      // failure then shows what the callers were told).
      expect(results).toHaveLength(processes * callersPerProcess);
      const answers = new Map<string, number>();
      for (const result of results) {
        const key = `${result.status} ${result.tokenHash ?? result.code ?? ''} ${result.versionId === after.versionId ? 'new version' : `version ${result.versionId}`}`;
        answers.set(key, (answers.get(key) ?? 0) + 1);
      }
      expect(Object.fromEntries(answers)).toEqual({ [`200 ${newToken} new version`]: processes * callersPerProcess });
      expect(after.versionId).not.toBe(before.versionId);
      expect(newToken).not.toBe(tokenHash(bot.access_token));
      // Someone waited for the refresh (most of the herd joined it).
      expect(results.some((result) => result.refreshed === true)).toBe(true);

      // The provider saw exactly one refresh, with the refresh token Rotor held, and accepted it once.
      const refreshes = (await h.events({ endpoint: 'oauth.v2.access', since })).filter((event: SimEvent) => event.grant_type === 'refresh_token');
      expect(refreshes.map((event) => ({ outcome: event.outcome, presented: event.presented_token_hash, fault: event.fault ?? null }))).toEqual([
        { outcome: 'issued', presented: tokenHash(bot.refresh_token!), fault: null },
      ]);
      expect(refreshes[0]!.generation_after).toBe(round + 1);
      expect(tokenHash(after.value.bot!.refresh_token!)).toBe(refreshes[0]!.issued_refresh_token_hash);
      const current = (await h.families()).find((candidate) => candidate.id === family!.id)!;
      expect(current.generation).toBe(round + 1);
      console.log(
        `ensure-fresh herd (${label}), generation ${round + 1}: ${results.length} callers in ${processes} processes, ${results.filter((result) => result.refreshed).length} waited for the refresh, ${refreshes.length} provider refresh`,
      );
    }
    // Nothing was ever refused or replayed over the three generations.
    const all = await h.events({ endpoint: 'oauth.v2.access' });
    expect(all.filter((event) => event.outcome === 'rejected' || event.outcome === 'grace_replay')).toEqual([]);
  } finally {
    await Promise.all(callers.map((caller) => caller.stop()));
  }
}

describe('ensure-fresh under a herd of processes', () => {
  let harness: OAuthHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it(`${processes} processes × ${callersPerProcess} callers at expiry → one accepted refresh per generation, one token for all`, { timeout: 180_000 }, async () => {
    harness = await OAuthHarness.start();
    await herds(harness, [harness.rotor.url], 'one Rotor');
  });

  it(`the same against 2 Rotor replicas on PostgreSQL, ${processes / 2} processes on each`, { timeout: 180_000 }, async () => {
    let second: (() => RunningRotor) | undefined;
    harness = await OAuthHarness.start({
      rotor: async (clock) => {
        const pair = await startReplicaPair(clock);
        second = pair.second;
        return pair.first;
      },
    });
    await herds(harness, [harness.rotor.url, second!().url], '2 replicas');
  });
});
