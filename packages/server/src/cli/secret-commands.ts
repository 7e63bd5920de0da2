import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
  type FilterNameStringType,
  type SecretListEntry,
  type SecretVersionsListEntry,
  type SortByType,
  type SortOrderType,
} from '@aws-sdk/client-secrets-manager';
import { Option, type Command } from 'commander';
import { CliUsageError, runClientCommand, usageExit, withConnectionOptions } from './client.js';
import { printTable } from './output.js';
import { printJson, printRecord, render, tagsText } from './render.js';
import { collect, parseKeyValue, positiveInteger, readSecretValue, withValueOptions, type ValueFlags } from './secret-input.js';

/**
 * `rotor secret …`: an AWS Secrets Manager client of a running Rotor, one subcommand per
 * operation. Each accepts a secret's name or ARN.
 */
export function registerSecretCommands(program: Command): void {
  const secret = program
    .command('secret')
    .description('create, read and manage secrets on a running Rotor server (an AWS-protocol client)')
    .exitOverride(usageExit);
  const idArgument = ['<secret-id>', 'secret name or ARN'] as const;
  const subcommand = (name: string, description: string) => withConnectionOptions(secret.command(name).description(description));

  withValueOptions(subcommand('create', 'create a secret, optionally with its first value'))
    .argument('<name>', 'secret name, e.g. prod/db/password')
    .option('--description <text>', 'description')
    .option('--kms-key-id <id>', 'KMS key id or alias to record on the secret')
    .option('--tag <KEY=VALUE>', 'tag the secret (repeatable)', collect)
    .action(async (name: string, options: ValueFlags & { description?: string; kmsKeyId?: string; tag?: string[] }, command: Command) =>
      runClientCommand(command, async ({ client, output }) => {
        const value = await readSecretValue(options, false);
        const tags = (options.tag ?? []).map((text) => parseKeyValue(text, 'tag'));
        const response = await client.send(
          new CreateSecretCommand({
            Name: name,
            Description: options.description,
            KmsKeyId: options.kmsKeyId,
            ...(tags.length > 0 ? { Tags: tags } : {}),
            ...value,
          }),
        );
        render(output, response, () => printRecord({ ARN: response.ARN, Name: response.Name, VersionId: response.VersionId }));
      }),
    );

  subcommand('get', 'print a secret value (AWSCURRENT unless a version or stage is given)')
    .argument(...idArgument)
    .option('--version-id <id>', 'read this version')
    .option('--stage <label>', 'read the version carrying this staging label')
    .option('--value-only', 'print only the value, raw (binary secrets as bytes), for scripts')
    .action(async (id: string, options: { versionId?: string; stage?: string; valueOnly?: boolean }, command: Command) =>
      runClientCommand(command, async ({ client, output }) => {
        const response = await client.send(new GetSecretValueCommand({ SecretId: id, VersionId: options.versionId, VersionStage: options.stage }));
        if (options.valueOnly) {
          if (response.SecretBinary !== undefined) process.stdout.write(response.SecretBinary);
          else process.stdout.write(`${response.SecretString ?? ''}${process.stdout.isTTY ? '\n' : ''}`);
          return;
        }
        render(output, response, () =>
          printRecord({
            Name: response.Name,
            VersionId: response.VersionId,
            Stages: response.VersionStages,
            Created: response.CreatedDate,
            Value: response.SecretBinary !== undefined ? `(binary, ${response.SecretBinary.length} bytes; use --value-only)` : response.SecretString,
          }),
        );
      }),
    );

  withValueOptions(subcommand('put', 'store a new version of the value (it becomes AWSCURRENT unless --stage says otherwise)'))
    .argument(...idArgument)
    .option('--stage <label>', 'staging label for the new version (repeatable)', collect)
    .option('--token <token>', 'idempotency token (ClientRequestToken), becomes the version id')
    .action(async (id: string, options: ValueFlags & { stage?: string[]; token?: string }, command: Command) =>
      runClientCommand(command, async ({ client, output }) => {
        const value = await readSecretValue(options, true);
        const response = await client.send(
          new PutSecretValueCommand({ SecretId: id, VersionStages: options.stage, ClientRequestToken: options.token, ...value }),
        );
        render(output, response, () =>
          printRecord({ ARN: response.ARN, Name: response.Name, VersionId: response.VersionId, Stages: response.VersionStages }),
        );
      }),
    );

  subcommand('describe', "show a secret's metadata, tags and versions (never its value)")
    .argument(...idArgument)
    .action(async (id: string, _options: unknown, command: Command) =>
      runClientCommand(command, async ({ client, output }) => {
        const response = await client.send(new DescribeSecretCommand({ SecretId: id }));
        const versions = Object.entries(response.VersionIdsToStages ?? {}).map(([versionId, stages]) => `${versionId} (${stages.join(',')})`);
        render(output, response, () =>
          printRecord({
            ARN: response.ARN,
            Name: response.Name,
            Description: response.Description,
            KmsKeyId: response.KmsKeyId,
            RotationEnabled: response.RotationEnabled,
            Created: response.CreatedDate,
            LastChanged: response.LastChangedDate,
            LastAccessed: response.LastAccessedDate,
            LastRotated: response.LastRotatedDate,
            NextRotation: response.NextRotationDate,
            DeletionDate: response.DeletedDate,
            Tags: tagsText(response.Tags),
            Versions: versions.join('; '),
          }),
        );
      }),
    );

  subcommand('list', 'list secrets (all pages unless --max)')
    .option('--filter <key=value>', 'filter: name|description|tag-key|tag-value|primary-region|owning-service|all (repeatable)', collect)
    .option('--include-deleted', 'include secrets scheduled for deletion')
    .addOption(new Option('--sort-by <field>', 'sort field').choices(['created-date', 'last-accessed-date', 'last-changed-date', 'name']))
    .addOption(new Option('--sort-order <order>', 'sort order').choices(['asc', 'desc']))
    .option('--max <n>', 'list at most n secrets', positiveInteger)
    .action(
      async (
        options: { filter?: string[]; includeDeleted?: boolean; sortBy?: SortByType; sortOrder?: SortOrderType; max?: number },
        command: Command,
      ) =>
        runClientCommand(command, async ({ client, output }) => {
          const filters = new Map<string, string[]>();
          for (const text of options.filter ?? []) {
            const { Key, Value } = parseKeyValue(text, 'filter');
            filters.set(Key, [...(filters.get(Key) ?? []), Value]);
          }
          const secrets: SecretListEntry[] = [];
          let nextToken: string | undefined;
          do {
            const page = await client.send(
              new ListSecretsCommand({
                Filters: filters.size > 0 ? [...filters].map(([Key, Values]) => ({ Key: Key as FilterNameStringType, Values })) : undefined,
                IncludePlannedDeletion: options.includeDeleted,
                SortBy: options.sortBy,
                SortOrder: options.sortOrder,
                // ListSecrets answers at most 100 per page.
                MaxResults: options.max === undefined ? undefined : Math.min(100, options.max - secrets.length),
                NextToken: nextToken,
              }),
            );
            secrets.push(...(page.SecretList ?? []));
            nextToken = page.NextToken;
          } while (nextToken !== undefined && (options.max === undefined || secrets.length < options.max));
          render(output, { SecretList: secrets, ...(nextToken !== undefined ? { NextToken: nextToken } : {}) }, () =>
            printTable(
              secrets.map((entry) => ({
                Name: entry.Name,
                Description: entry.Description,
                Created: entry.CreatedDate,
                LastChanged: entry.LastChangedDate,
                Tags: tagsText(entry.Tags),
                ...(options.includeDeleted ? { DeletionDate: entry.DeletedDate } : {}),
              })),
            ),
          );
        }),
    );

  subcommand('versions', "list a secret's versions and their staging labels")
    .argument(...idArgument)
    .option('--include-deprecated', 'include versions without a staging label')
    .action(async (id: string, options: { includeDeprecated?: boolean }, command: Command) =>
      runClientCommand(command, async ({ client, output }) => {
        const versions: SecretVersionsListEntry[] = [];
        let nextToken: string | undefined;
        let identity: { ARN?: string | undefined; Name?: string | undefined } = {};
        do {
          const page = await client.send(
            new ListSecretVersionIdsCommand({ SecretId: id, IncludeDeprecated: options.includeDeprecated, NextToken: nextToken }),
          );
          identity = { ARN: page.ARN, Name: page.Name };
          versions.push(...(page.Versions ?? []));
          nextToken = page.NextToken;
        } while (nextToken !== undefined);
        render(output, { ...identity, Versions: versions }, () =>
          printTable(
            versions.map((version) => ({
              VersionId: version.VersionId,
              Stages: version.VersionStages,
              Created: version.CreatedDate,
              LastAccessed: version.LastAccessedDate,
            })),
            ['VersionId', 'Stages', 'Created', 'LastAccessed'],
          ),
        );
      }),
    );

  subcommand('stage', 'move a staging label to a version, or remove it from one')
    .argument(...idArgument)
    .argument('<label>', 'staging label, e.g. AWSCURRENT')
    .option('--move-to <version-id>', 'version that receives the label')
    .option('--remove-from <version-id>', 'version that currently has the label')
    .action(async (id: string, label: string, options: { moveTo?: string; removeFrom?: string }, command: Command) =>
      runClientCommand(command, async ({ client, output }) => {
        if (options.moveTo === undefined && options.removeFrom === undefined) {
          throw new CliUsageError('give --move-to <version-id>, --remove-from <version-id>, or both');
        }
        const response = await client.send(
          new UpdateSecretVersionStageCommand({
            SecretId: id,
            VersionStage: label,
            MoveToVersionId: options.moveTo,
            RemoveFromVersionId: options.removeFrom,
          }),
        );
        render(output, response, () =>
          printRecord({ ARN: response.ARN, Name: response.Name, Stage: label, MovedTo: options.moveTo, RemovedFrom: options.removeFrom }),
        );
      }),
    );

  subcommand('delete', 'schedule a secret for deletion (7-30 days, default 30), or delete it at once with --force')
    .argument(...idArgument)
    .addOption(new Option('--recovery-days <n>', 'days before the deletion is final').argParser(positiveInteger).conflicts('force'))
    .option('--force', 'delete now, without a recovery window (cannot be undone)')
    .action(async (id: string, options: { recoveryDays?: number; force?: boolean }, command: Command) =>
      runClientCommand(command, async ({ client, output }) => {
        const response = await client.send(
          new DeleteSecretCommand({ SecretId: id, RecoveryWindowInDays: options.recoveryDays, ForceDeleteWithoutRecovery: options.force }),
        );
        render(output, response, () => printRecord({ ARN: response.ARN, Name: response.Name, DeletionDate: response.DeletionDate }));
      }),
    );

  subcommand('restore', 'cancel a scheduled deletion')
    .argument(...idArgument)
    .action(async (id: string, _options: unknown, command: Command) =>
      runClientCommand(command, async ({ client, output }) => {
        const response = await client.send(new RestoreSecretCommand({ SecretId: id }));
        render(output, response, () => printRecord({ ARN: response.ARN, Name: response.Name }));
      }),
    );

  subcommand('tag', 'add or overwrite tags')
    .argument(...idArgument)
    .argument('<tags...>', 'KEY=VALUE pairs')
    .action(async (id: string, pairs: string[], _options: unknown, command: Command) =>
      runClientCommand(command, async ({ client, output }) => {
        const tags = pairs.map((text) => parseKeyValue(text, 'tag'));
        const response = await client.send(new TagResourceCommand({ SecretId: id, Tags: tags }));
        if (output === 'json') printJson(response);
        else process.stdout.write(`Tagged ${id}: ${tagsText(tags) ?? ''}\n`);
      }),
    );

  subcommand('untag', 'remove tags by key')
    .argument(...idArgument)
    .argument('<keys...>', 'tag keys')
    .action(async (id: string, keys: string[], _options: unknown, command: Command) =>
      runClientCommand(command, async ({ client, output }) => {
        const response = await client.send(new UntagResourceCommand({ SecretId: id, TagKeys: keys }));
        if (output === 'json') printJson(response);
        else process.stdout.write(`Untagged ${id}: ${keys.join(',')}\n`);
      }),
    );
}
