import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliOk, type CliRun } from '../support/cli-runner.js';
import { spawnRotor, tempDir, type RotorProcess } from '../support/rotor-server.js';
import { stopChild } from '../support/signed-http.js';

/**
 * The rotation commands of the README end to end: the built server runs as a child
 * process and each command is the built CLI in its own process.
 */

let server: RotorProcess;
let dataDir: string;

function rotor(args: readonly string[]): Promise<CliRun> {
  return runCli(args, { dataDir, endpoint: server.url });
}

function ok(args: readonly string[]): Promise<string> {
  return runCliOk(args, { dataDir, endpoint: server.url });
}

async function json<T = Record<string, unknown>>(args: readonly string[]): Promise<T> {
  return JSON.parse(await ok([...args, '-o', 'json'])) as T;
}

async function waitForIdle(name: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = await json(['rotation', 'status', name]);
    if (status.Current === null && status.LastRun !== null) return status;
    if (Date.now() > deadline) throw new Error(`rotation did not finish: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  dataDir = tempDir('rotor-cli-rotation-');
  server = await spawnRotor(dataDir);
});
afterAll(async () => {
  await stopChild(server.child);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('rotor rotation commands', () => {
  it('rotate, status, history, schedule preview/set, rollback and events work as the README shows', async () => {
    const name = `cli/rotation-${randomBytes(4).toString('hex')}`;
    await ok(['functions', 'create', 'cli-random', '--builtin', 'random', '--config', '{"passwordLength":30}', '--data-dir', dataDir]);
    const created = await json<{ ARN: string; VersionId: string }>(['secret', 'create', name, '--value', 'original-value']);

    const rotated = await json<{ VersionId: string; Name: string }>(['rotate', name, '--function', 'cli-random', '--schedule', 'rate(12 hours)']);
    expect(rotated.Name).toBe(name);
    const status = await waitForIdle(name);
    expect(status).toMatchObject({ Name: name, RotationEnabled: true, FunctionArn: expect.stringMatching(/:function:cli-random$/), Rules: { ScheduleExpression: 'rate(12 hours)' } });
    expect(status.LastRun).toMatchObject({ State: 'succeeded', Step: 'finishSecret', VersionId: rotated.VersionId });
    expect((await ok(['secret', 'get', name, '--value-only'])).trim()).toHaveLength(30);

    const table = await ok(['rotation', 'status', name]);
    expect(table).toMatch(/^RotationEnabled\s+true$/m);
    expect(table).toMatch(/^Schedule\s+rate\(12 hours\)$/m);
    expect(table).toMatch(/^LastRun\s+succeeded at finishSecret, attempt 1 \(api, started /m);

    const history = await json<{ Rotations: { VersionId: string; Events: { Kind: string }[] }[] }>(['rotation', 'history', name, '-n', '5']);
    expect(history.Rotations.map((run) => run.VersionId)).toEqual([rotated.VersionId]);
    expect(history.Rotations[0]!.Events.map((event) => event.Kind)).toEqual(['started', 'step-succeeded', 'step-succeeded', 'step-succeeded', 'step-succeeded', 'succeeded']);
    expect(await ok(['rotation', 'history', name])).toMatch(/^Started\s+State\s+Step\s+Attempt\s+Trigger\s+Finished\s+VersionId\s+Note$/m);

    const preview = await ok(['schedule', 'preview', name, '-n', '3']);
    const dates = [...preview.matchAll(/^\d+\s+(\S+)$/gm)].map((match) => Date.parse(match[1]!));
    expect(dates).toHaveLength(3);
    expect(dates[1]! - dates[0]!).toBe(12 * 3_600_000);
    expect(dates[0]).toBe(Date.parse(status.NextRotationDate as string));
    const previewJson = await json<{ Dates: string[] }>(['schedule', 'preview', name]);
    expect(previewJson.Dates).toHaveLength(10);

    const set = await json<{ Spread: boolean; ResetOnManualChange: boolean }>(['schedule', 'set', name, '--spread', '--no-reset-on-manual-change']);
    expect(set).toMatchObject({ Spread: true, ResetOnManualChange: false });

    const rolledBack = await json<{ VersionId: string; PreviousVersionId: string }>(['rollback', name]);
    expect(rolledBack).toMatchObject({ VersionId: created.VersionId, PreviousVersionId: rotated.VersionId });
    expect(await ok(['secret', 'get', name, '--value-only'])).toBe('original-value');

    const lines = (await ok(['events', '--secret', name, '--since', '0', '--count', '7'])).trim().split('\n');
    expect(lines.map((line) => line.split(/\s+/)[1])).toEqual(['started', 'step-succeeded', 'step-succeeded', 'step-succeeded', 'step-succeeded', 'succeeded', 'rolled-back']);
    expect(lines[1]).toMatch(/^\S+Z {2}step-succeeded {2}cli\/rotation-\w+ {2}createSecret {2}1$/);
    const jsonLines = (await ok(['events', '--secret', name, '--since', '0', '--count', '2', '-o', 'json'])).trim().split('\n');
    expect(jsonLines.map((line) => (JSON.parse(line) as { Kind: string }).Kind)).toEqual(['started', 'step-succeeded']);
  });

  it('reports refusals as rotor: <Code>: <detail> with exit 1', async () => {
    const name = `cli/fresh-${randomBytes(4).toString('hex')}`;
    await ok(['secret', 'create', name, '--value', 'only-version']);
    const refused = await rotor(['rollback', name]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`rotor: InvalidRequest: Secret ${name} has no AWSPREVIOUS version to roll back to.\n`);
    const missing = await rotor(['schedule', 'preview', 'cli/does-not-exist']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("rotor: ResourceNotFound: Secrets Manager can't find the specified secret.\n");
    const noSchedule = await rotor(['schedule', 'preview', name]);
    expect(noSchedule.stderr).toMatch(/^rotor: InvalidRequest: Secret .* has no rotation schedule/);
    const usage = await rotor(['schedule', 'set', name]);
    expect(usage.code).toBe(2);
  });
});
