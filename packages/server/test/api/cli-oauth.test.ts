import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/rotation-probes.js';
import { runCli, runCliOk, type CliRun } from '../support/cli-runner.js';
import { cliEntry, spawnRotor, tempDir, type RotorProcess } from '../support/rotor-server.js';
import { stopChild } from '../support/signed-http.js';

/**
 * The README's OAuth quick start, command for command: the provider simulator from
 * `rotor dev provider-sim`, the master secret and the `slack` function from the CLI, an
 * installation through the install link and callback, its refresh on schedule; and
 * `rotor oauth import` of an installation-store export. Built server and CLI, each in
 * its own process.
 */
let server: RotorProcess;
let sim: ChildProcessByStdio<null, Readable, Readable>;
let simUrl: string;
let dataDir: string;
/** The simulated Slack app, created by the first test. */
let clientId: string;

function rotor(args: readonly string[]): Promise<CliRun> {
  return runCli(args, { dataDir, endpoint: server.url });
}

function ok(args: readonly string[]): Promise<string> {
  return runCliOk(args, { dataDir, endpoint: server.url });
}

async function simPost(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${simUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function refreshEvents(): Promise<{ outcome: string; grant_type?: string }[]> {
  const response = await fetch(`${simUrl}/_sim/events?endpoint=oauth.v2.access`);
  return ((await response.json()) as { events: { outcome: string; grant_type?: string }[] }).events;
}

beforeAll(async () => {
  dataDir = tempDir('rotor-cli-oauth-');
  server = await spawnRotor(dataDir);
  sim = spawn(process.execPath, [cliEntry, 'dev', 'provider-sim', '--port', '0', '--seed', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  simUrl = await new Promise<string>((resolve, reject) => {
    let output = '';
    sim.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    sim.once('exit', (code) => reject(new Error(`provider-sim exited with ${code}`)));
  });
});

afterAll(async () => {
  await stopChild(sim);
  if (server) await stopChild(server.child);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('README OAuth quick start', () => {
  it('installs through the install link and callback, then refreshes on schedule', async () => {
    const app = await simPost('/_sim/apps', { preset: 'slack', knobs: { accessTokenTtl: 4 } });
    clientId = String(app.client_id);
    await ok(['secret', 'create', 'slack/app', '--value', JSON.stringify({ client_id: app.client_id, client_secret: app.client_secret })]);
    await ok([
      'functions',
      'create',
      'slack',
      '--builtin',
      'slack',
      '--config',
      JSON.stringify({
        masterSecretArn: 'slack/app',
        apiBaseUrl: `${simUrl}/api`,
        authorizeUrl: `${simUrl}/oauth/v2/authorize`,
        install: { redirectUri: `${server.url}/oauth/slack/callback`, scopes: ['chat:write'] },
      }),
    ]);
    const page = await (await fetch(`${server.url}/oauth/slack/install`)).text();
    const name = /stored in secret (slack\/T\w+)/.exec(page)?.[1];
    expect(name, page).toBeDefined();
    expect(page).not.toMatch(/xox/);

    const status = JSON.parse(await ok(['rotation', 'status', name!, '-o', 'json'])) as { RotationEnabled: boolean; NextRotationDate: string };
    expect(status.RotationEnabled).toBe(true);
    expect(status.NextRotationDate).not.toBeNull();
    // 4-second tokens: the refresh is due 2 seconds after the installation.
    const events = await until(refreshEvents, (list) => list.some((event) => event.grant_type === 'refresh_token'), { timeoutMs: 20_000 });
    expect(events.filter((event) => event.grant_type === 'authorization_code' && event.outcome === 'issued')).toHaveLength(1);
    const history = await until(
      async () => JSON.parse(await ok(['rotation', 'history', name!, '-o', 'json'])) as { Rotations: { State: string; Trigger: string }[] },
      (found) => found.Rotations.some((run) => run.State === 'succeeded'),
      { timeoutMs: 20_000 },
    );
    expect(history.Rotations.find((run) => run.State === 'succeeded')?.Trigger).toBe('schedule');
  });

  it('imports an installation-store export and refuses a file that is not JSON without echoing it', async () => {
    const bot = await simPost('/_sim/install', { client_id: clientId, team_id: 'TIMPORT1' });
    // Bolt for JavaScript's Installation record, as its installation stores keep it.
    const boltRecord = {
      team: { id: 'TIMPORT1', name: 'Imported' },
      enterprise: undefined,
      bot: { token: bot.access_token, refreshToken: bot.refresh_token, expiresAt: Math.floor(Date.now() / 1000) + 43_200, scopes: ['chat:write'], userId: bot.bot_user_id, id: 'B1' },
      appId: bot.app_id,
      isEnterpriseInstall: false,
      authVersion: 'v2',
    };
    const file = join(dataDir, 'installations.json');
    writeFileSync(file, JSON.stringify([boltRecord]));
    const imported = JSON.parse(await ok(['oauth', 'import', file, '--function', 'slack', '-o', 'json'])) as { Installations: { Name: string; Chains: string[]; Created: boolean }[] };
    expect(imported.Installations).toEqual([expect.objectContaining({ Name: 'slack/TIMPORT1', Chains: ['bot'], Created: true })]);

    writeFileSync(file, `{"bot_token": "${String(bot.access_token)}", oops`);
    const refused = await rotor(['oauth', 'import', file, '--function', 'slack']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is not JSON/);
    expect(refused.stderr).not.toContain(String(bot.access_token));
  });
});
