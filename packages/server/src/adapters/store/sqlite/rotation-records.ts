import type Database from 'better-sqlite3';
import type { FunctionStore } from '../../../ports/function-store.js';
import type { RotationPatch, RotationQueries, RotationRecords } from '../../../ports/rotation-store.js';
import {
  rotationColumns,
  rotationConfigRow,
  rotationRow,
  toFunction,
  toRotation,
  toRotationConfig,
  toRotationEvent,
} from './rotation-rows.js';
import type { RotationStatements } from './rotation-statements.js';

/** Rotation reads and writes on the writer connection, inside a transaction. */
export function createRotationRecords(db: Database.Database, sql: RotationStatements): RotationRecords {
  const patchStatements = new Map<string, Database.Statement>();
  return {
    async getRotationConfig(arn) {
      const row = sql.rotationConfig.get(arn);
      return row && toRotationConfig(row);
    },
    async setRotationConfig(arn, config) {
      if (config === undefined) sql.deleteRotationConfig.run(arn);
      else sql.upsertRotationConfig.run(rotationConfigRow(arn, config));
    },
    async insertRotation(rotation) {
      sql.insertRotation.run(rotationRow(rotation));
    },
    async getRotation(id) {
      const row = sql.rotation.get(id);
      return row && toRotation(row);
    },
    async getActiveRotation(arn) {
      const row = sql.activeRotation.get(arn);
      return row && toRotation(row);
    },
    async getLatestRotation(arn) {
      const row = sql.latestRotation.get(arn);
      return row && toRotation(row);
    },
    async updateRotation(id, epoch, patch: RotationPatch) {
      const fields = (Object.keys(patch) as (keyof RotationPatch)[]).filter((field) => field in rotationColumns).sort();
      if (fields.length === 0) {
        const row = sql.rotation.get(id);
        return row?.epoch === epoch && (row.state === 'running' || row.state === 'retrying');
      }
      const key = fields.join(',');
      let statement = patchStatements.get(key);
      if (!statement) {
        const assignments = fields.map((field) => `${rotationColumns[field]} = @${field}`).join(', ');
        // The epoch is the fence: a worker that lost its lease updates nothing; and a rotation
        // that has ended (succeeded, failed, cancelled) is never written again.
        statement = db.prepare(
          `UPDATE rotations SET ${assignments} WHERE id = @id AND epoch = @epoch AND state IN ('running', 'retrying')`,
        );
        patchStatements.set(key, statement);
      }
      const values: Record<string, unknown> = { id, epoch };
      for (const field of fields) values[field] = patch[field] ?? null;
      return statement.run(values).changes === 1;
    },
    async reopenFailedRotation(id, now) {
      return sql.reopenFailed.run(now, now, id).changes === 1;
    },
    async appendRotationEvent(event) {
      const result = sql.insertEvent.run({
        at: event.at,
        kind: event.kind,
        secret_arn: event.secretArn,
        secret_name: event.secretName,
        rotation_id: event.rotationId ?? null,
        version_id: event.versionId ?? null,
        step: event.step ?? null,
        attempt: event.attempt ?? null,
        message: event.message ?? null,
      });
      return Number(result.lastInsertRowid);
    },
  };
}

/** Rotation queries outside transactions; claims and lease renewals take the write path. */
export function createRotationQueries(
  read: RotationStatements,
  write: RotationStatements,
  inWriteTransaction: <T>(work: () => T) => Promise<T>,
): RotationQueries {
  return {
    claimRunnableRotations(owner, now, leaseUntil, limit) {
      return inWriteTransaction(() => write.claimRunnable.all({ owner, leaseUntil, now, limit }).map(toRotation));
    },
    releaseLeasesOf(owner) {
      return inWriteTransaction(() => write.releaseLeasesOf.run(owner).changes);
    },
    renewLease(id, epoch, owner, leaseUntil) {
      return inWriteTransaction(() => write.renewLease.run(leaseUntil, id, epoch, owner).changes === 1);
    },
    async findDueSecrets(now, limit) {
      return read.dueSecrets.all(now, limit).map((row) => ({ arn: row.arn, nextRotationAt: row.next_rotation_at }));
    },
    async earliestDueAt() {
      return read.earliestDue.get()?.at ?? undefined;
    },
    async earliestRunnableAt() {
      return read.earliestRunnable.get()?.at ?? undefined;
    },
    async listRotations(arn, limit) {
      return read.rotationsOfSecret.all(arn, limit).map(toRotation);
    },
    async listRotationEvents(afterId, limit) {
      return read.eventsAfter.all(afterId, limit).map(toRotationEvent);
    },
    async listSecretRotationEvents(arn, sinceAt, limit) {
      return read.eventsOfSecretSince.all(arn, sinceAt, limit).map(toRotationEvent);
    },
    async latestRotationEventId() {
      return read.latestEventId.get()?.id ?? 0;
    },
  };
}

export function createFunctionStore(
  read: RotationStatements,
  write: RotationStatements,
  inWriteTransaction: <T>(work: () => T) => Promise<T>,
): FunctionStore {
  return {
    insertFunction(fn) {
      return inWriteTransaction(() => {
        write.insertFunction.run({ name: fn.name, arn: fn.arn, kind: fn.kind, sealed_config: fn.sealedConfig, created_at: fn.createdAt });
      });
    },
    async findFunctionByArn(arn) {
      const row = read.functionByArn.get(arn);
      return row && toFunction(row);
    },
    async findFunctionByName(name) {
      const row = read.functionByName.get(name);
      return row && toFunction(row);
    },
    async listFunctions() {
      return read.functions.all().map(toFunction);
    },
    deleteFunction(name) {
      return inWriteTransaction(() => write.deleteFunction.run(name).changes > 0);
    },
  };
}
