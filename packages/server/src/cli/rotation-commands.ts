import { CancelRotateSecretCommand, DescribeSecretCommand, RotateSecretCommand, type RotationRulesType } from '@aws-sdk/client-secrets-manager';
import type { Command } from 'commander';
import { CliUsageError, runClientCommand, usageExit, withConnectionOptions } from './client.js';
import { printTable } from './output.js';
import { printJson, printRecord, render } from './render.js';
import { runApiCommand, secretPath } from './rotor-api.js';
import { positiveInteger } from './secret-input.js';

/**
 * Rotation from the command line: `rotate` and `cancel-rotation` are AWS RotateSecret and
 * CancelRotateSecret; `rotation status|history`, `rollback` and `schedule preview|set` use
 * Rotor's own API (`/v1`), which covers what AWS has no operation for.
 */

interface RunView {
  RotationId: string;
  VersionId: string;
  State: string;
  Step: string;
  Attempt: number;
  Trigger: string;
  LastError: string | null;
  NextAttemptDate: string | null;
  StartedDate: string;
  FinishedDate?: string | null;
}

interface StatusView {
  SecretId: string;
  Name: string;
  RotationEnabled: boolean;
  FunctionArn: string | null;
  Rules: { AutomaticallyAfterDays?: number; ScheduleExpression?: string; Duration?: string } | null;
  TimeZone: string | null;
  Spread: boolean;
  ResetOnManualChange: boolean;
  LastRotatedDate: string | null;
  NextRotationDate: string | null;
  Attention?: string | null;
  Current: RunView | null;
  LastRun: RunView | null;
}

interface HistoryView {
  Name: string;
  Rotations: (RunView & { Events: { Kind: string; Date: string; Step: string | null; Message: string | null }[] })[];
}

function scheduleText(rules: StatusView['Rules']): string | undefined {
  if (!rules) return undefined;
  const base = rules.ScheduleExpression ?? (rules.AutomaticallyAfterDays === undefined ? undefined : `every ${rules.AutomaticallyAfterDays} days`);
  return base === undefined ? undefined : `${base}${rules.Duration ? ` (window ${rules.Duration})` : ''}`;
}

function runText(run: RunView | null): string | undefined {
  if (!run) return undefined;
  return `${run.State} at ${run.Step}, attempt ${run.Attempt} (${run.Trigger}, started ${run.StartedDate})`;
}

export function printStatus(status: StatusView): void {
  printRecord({
    Name: status.Name,
    ARN: status.SecretId,
    RotationEnabled: status.RotationEnabled,
    Function: status.FunctionArn,
    Schedule: scheduleText(status.Rules),
    TimeZone: status.TimeZone,
    Spread: status.Spread,
    ResetOnManualChange: status.ResetOnManualChange,
    LastRotated: status.LastRotatedDate,
    NextRotation: status.NextRotationDate,
    Attention: status.Attention,
    Current: runText(status.Current),
    CurrentVersion: status.Current?.VersionId,
    LastError: status.Current?.LastError ?? (status.LastRun?.State === 'failed' ? status.LastRun.LastError : null),
    NextAttempt: status.Current?.NextAttemptDate,
    LastRun: runText(status.LastRun),
  });
}

function lambdaArnFor(secretArn: string, functionName: string): string {
  const [, partition, , region, account] = secretArn.split(':');
  if (!partition || !region || !account) throw new CliUsageError(`cannot read the region and account from ${secretArn}`);
  return `arn:${partition}:lambda:${region}:${account}:function:${functionName}`;
}

function localTime(date: string, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'medium' }).format(new Date(date));
}

export function registerRotationCommands(program: Command): void {
  const idArgument = ['<secret-id>', 'secret name or ARN'] as const;

  withConnectionOptions(program.command('rotate'))
    .description('rotate a secret now and/or set its rotation (AWS RotateSecret)')
    .argument(...idArgument)
    .option('--function <name-or-arn>', 'rotation function (a name registered with `rotor functions create`, or its ARN)')
    .option('--schedule <expression>', 'rate(N minutes|hours|days) or cron(Minutes Hours Day-of-month Month Day-of-week Year)')
    .option('--after-days <n>', 'rotate every N days (AutomaticallyAfterDays)', positiveInteger)
    .option('--duration <Nh>', 'rotation window, e.g. 2h')
    .option('--no-immediately', 'do not rotate now; only test the function (RotateImmediately=false)')
    .exitOverride(usageExit)
    .action(
      async (id: string, options: { function?: string; schedule?: string; afterDays?: number; duration?: string; immediately: boolean }, command: Command) =>
        runClientCommand(command, async ({ client, output }) => {
          if (options.schedule !== undefined && options.afterDays !== undefined) throw new CliUsageError('give --schedule or --after-days, not both');
          let functionArn = options.function;
          if (functionArn !== undefined && !functionArn.startsWith('arn:')) {
            const described = await client.send(new DescribeSecretCommand({ SecretId: id }));
            functionArn = lambdaArnFor(described.ARN ?? '', functionArn);
          }
          const rules: RotationRulesType = {};
          if (options.schedule !== undefined) rules.ScheduleExpression = options.schedule;
          if (options.afterDays !== undefined) rules.AutomaticallyAfterDays = options.afterDays;
          if (options.duration !== undefined) rules.Duration = options.duration;
          const response = await client.send(
            new RotateSecretCommand({
              SecretId: id,
              RotationLambdaARN: functionArn,
              RotationRules: Object.keys(rules).length > 0 ? rules : undefined,
              RotateImmediately: options.immediately,
            }),
          );
          render(output, response, () => printRecord({ ARN: response.ARN, Name: response.Name, VersionId: response.VersionId }));
        }),
    );

  withConnectionOptions(program.command('cancel-rotation'))
    .description('turn automatic rotation off and stop a rotation in progress (AWS CancelRotateSecret)')
    .argument(...idArgument)
    .exitOverride(usageExit)
    .action(async (id: string, _options: unknown, command: Command) =>
      runClientCommand(command, async ({ client, output }) => {
        const response = await client.send(new CancelRotateSecretCommand({ SecretId: id }));
        render(output, response, () => printRecord({ ARN: response.ARN, Name: response.Name, PendingVersionId: response.VersionId }));
      }),
    );

  const rotation = program.command('rotation').description("a secret's rotation state and history (Rotor API)").exitOverride(usageExit);

  withConnectionOptions(rotation.command('status'))
    .description('rotation configuration, next date, and the rotation in progress (state, step, attempt, last error)')
    .argument(...idArgument)
    .exitOverride(usageExit)
    .action(async (id: string, _options: unknown, command: Command) =>
      runApiCommand(command, async ({ api, output }) => {
        const status = await api.json<StatusView>('GET', secretPath(id, 'rotation'));
        render(output, status, () => printStatus(status));
      }),
    );

  withConnectionOptions(rotation.command('history'))
    .description('past rotations, newest first (--output json adds each run\'s events)')
    .argument(...idArgument)
    .option('-n, --limit <n>', 'how many rotations (1-100)', positiveInteger, 20)
    .exitOverride(usageExit)
    .action(async (id: string, options: { limit: number }, command: Command) =>
      runApiCommand(command, async ({ api, output }) => {
        const history = await api.json<HistoryView>('GET', secretPath(id, 'rotations'), { query: { limit: String(options.limit) } });
        render(output, history, () =>
          printTable(
            history.Rotations.map((run) => ({
              Started: run.StartedDate,
              State: run.State,
              Step: run.Step,
              Attempt: run.Attempt,
              Trigger: run.Trigger,
              Finished: run.FinishedDate,
              VersionId: run.VersionId,
              Note: run.Events.some((event) => event.Kind === 'rolled-back') ? 'rolled back' : run.LastError,
            })),
            ['Started', 'State', 'Step', 'Attempt', 'Trigger', 'Finished', 'VersionId', 'Note'],
          ),
        );
      }),
    );

  withConnectionOptions(program.command('rollback'))
    .description('move AWSCURRENT back to the AWSPREVIOUS version (running the function\'s compensate step first, if it has one)')
    .argument(...idArgument)
    .exitOverride(usageExit)
    .action(async (id: string, _options: unknown, command: Command) =>
      runApiCommand(command, async ({ api, output }) => {
        const result = await api.json<Record<string, unknown>>('POST', secretPath(id, 'rollback'));
        render(output, result, () =>
          printRecord({ Name: result.Name, Current: result.VersionId, Previous: result.PreviousVersionId, Compensated: result.Compensated }),
        );
      }),
    );

  const schedule = program.command('schedule').description("preview and tune a secret's rotation schedule (Rotor API)").exitOverride(usageExit);

  withConnectionOptions(schedule.command('preview'))
    .description('the next rotation start times, computed as the scheduler computes them')
    .argument(...idArgument)
    .option('-n, --count <n>', 'how many dates (1-100)', positiveInteger, 10)
    .exitOverride(usageExit)
    .action(async (id: string, options: { count: number }, command: Command) =>
      runApiCommand(command, async ({ api, output }) => {
        const preview = await api.json<{ Dates: string[]; TimeZone: string | null }>('GET', secretPath(id, 'schedule/preview'), {
          query: { n: String(options.count) },
        });
        if (output === 'json') return printJson(preview);
        const zone = preview.TimeZone;
        printTable(
          preview.Dates.map((date, index) => ({ '#': index + 1, 'Start (UTC)': date, ...(zone ? { [`Local (${zone})`]: localTime(date, zone) } : {}) })),
        );
      }),
    );

  withConnectionOptions(schedule.command('set'))
    .description("Rotor's schedule options: time zone for cron, per-secret spread, whether manual changes restart the interval")
    .argument(...idArgument)
    .option('--time-zone <zone>', 'IANA time zone for cron(...) schedules, e.g. Europe/Berlin')
    .option('--spread', 'start each rotation at a fixed, per-secret offset inside its window')
    .option('--no-spread', 'start exactly at the scheduled time')
    .option('--reset-on-manual-change', 'a manual value change restarts the interval (as AWS)')
    .option('--no-reset-on-manual-change', 'manual value changes leave the schedule alone')
    .exitOverride(usageExit)
    .action(async (id: string, options: { timeZone?: string; spread?: boolean; resetOnManualChange?: boolean }, command: Command) =>
      runApiCommand(command, async ({ api, output }) => {
        const body = { TimeZone: options.timeZone, Spread: options.spread, ResetOnManualChange: options.resetOnManualChange };
        if (Object.values(body).every((value) => value === undefined)) {
          throw new CliUsageError('give --time-zone, --spread/--no-spread or --reset-on-manual-change/--no-reset-on-manual-change');
        }
        const status = await api.json<StatusView>('PUT', secretPath(id, 'schedule'), { body });
        render(output, status, () => printStatus(status));
      }),
    );
}
