import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runProviderSimCli, type ProviderSim } from '../src/index.js';
import { admin, createApp, events, installSlack, refreshSlack, slack, startSim, type AppCredentials } from './support/sim-client.js';

let sim: ProviderSim;
let app: AppCredentials;

beforeEach(async () => {
  sim = await startSim();
  app = await createApp(sim, 'slack');
});
afterEach(async () => {
  await sim.close();
});

describe('event log and families', () => {
  it('filters by family, client and endpoint, and pages with since/next', async () => {
    const a = await installSlack(sim, app, { team_id: 'TA' });
    const b = await installSlack(sim, app, { team_id: 'TB' });
    const other = await createApp(sim, 'slack');
    await installSlack(sim, other, { team_id: 'TC' });
    await refreshSlack(sim, app, a.refresh_token as string);
    await refreshSlack(sim, app, b.refresh_token as string);
    await slack(sim, 'auth.test', {}, { bearer: a.access_token as string });

    const all = await events(sim);
    expect(all.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(all.next).toBe(6);
    const familyA = all.events[0]?.family as string;
    expect((await events(sim, { family: familyA })).events.map((e) => e.endpoint)).toEqual(['_sim/install', 'oauth.v2.access', 'auth.test']);
    expect((await events(sim, { client_id: other.client_id })).events).toHaveLength(1);
    const page = await events(sim, { endpoint: 'oauth.v2.access', since: '4' });
    expect(page.events.map((e) => e.seq)).toEqual([5]);
    expect((await events(sim, { since: String(all.next) })).events).toEqual([]);
    for (const event of all.events) expect(Object.keys(event)).toEqual(expect.arrayContaining(['seq', 't', 'request_id', 'endpoint', 'client_id', 'family', 'kind', 'presented_token_hash', 'outcome', 'generation_before', 'generation_after']));
  });

  it('every request is an event, rejections with unknown tokens included', async () => {
    await slack(sim, 'auth.test', { token: 'xoxb-unknown' });
    await refreshSlack(sim, app, 'xoxe-1-unknown');
    const log = await events(sim);
    expect(log.events.map((e) => [e.endpoint, e.outcome, e.error])).toEqual([
      ['auth.test', 'rejected', 'invalid_auth'],
      ['oauth.v2.access', 'rejected', 'invalid_refresh_token'],
    ]);
    expect(log.events[1]).toMatchObject({ family: null, reason: 'unknown', client_id: app.client_id });
  });

  it('lists families by client, team and kind and shows token states by hash only', async () => {
    const install = await installSlack(sim, app, { user: true });
    const { families } = await admin<{ families: Array<Record<string, unknown>> }>(sim, 'GET', `families?client_id=${app.client_id}&team_id=T0001`);
    expect(families.map((f) => f.kind).sort()).toEqual(['bot', 'user']);
    const { families: bots } = await admin<{ families: Array<Record<string, unknown>> }>(sim, 'GET', 'families?kind=bot');
    expect(bots).toHaveLength(1);
    const detail = await admin(sim, 'GET', `families/${bots[0]?.id as string}`);
    expect(detail).toMatchObject({ kind: 'bot', team_id: 'T0001', generation: 1, revoked_at: null, active_access_tokens: 1 });
    expect(JSON.stringify(detail)).not.toContain(install.access_token as string);
    expect(JSON.stringify(detail)).not.toContain(install.refresh_token as string);
    expect((await fetch(`${sim.url}/_sim/families/fam-999`)).status).toBe(404);
  });

  it('tokens are deterministic for a seed', async () => {
    const { startProviderSim } = await import('../src/index.js');
    const tokensFor = async (): Promise<string> => {
      const other = await startProviderSim({ seed: 99, now: 1_700_000_000 });
      try {
        const created = await admin<AppCredentials>(other, 'POST', 'apps', { preset: 'slack' });
        return (await admin(other, 'POST', 'install', { client_id: created.client_id })).access_token as string;
      } finally {
        await other.close();
      }
    };
    expect(await tokensFor()).toBe(await tokensFor());
  });
});

describe('runProviderSimCli', () => {
  it('starts on the given port, creates the preset app and prints its credentials', async () => {
    const lines: string[] = [];
    const started = await runProviderSimCli(['--port', '0', '--preset', 'hubspot', '--seed', '3'], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    expect(started).not.toBeNull();
    try {
      const output = lines.join('\n');
      expect(output).toContain(started?.url as string);
      const clientId = /client_id:\s+(\S+)/.exec(output)?.[1];
      const { apps } = await admin<{ apps: Array<{ client_id: string; preset: string }> }>(started as ProviderSim, 'GET', 'apps');
      expect(apps).toEqual([expect.objectContaining({ client_id: clientId, preset: 'hubspot' })]);
    } finally {
      await started?.close();
    }
  });

  it('refuses unknown presets', async () => {
    const lines: string[] = [];
    const exitCode = process.exitCode;
    expect(await runProviderSimCli(['--preset', 'nope'], { out: (l) => lines.push(l), err: (l) => lines.push(l) })).toBeNull();
    process.exitCode = exitCode;
    expect(lines.join('\n')).toContain('unknown preset nope');
  });
});
