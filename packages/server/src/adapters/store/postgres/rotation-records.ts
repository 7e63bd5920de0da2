import type { FunctionStore } from '../../../ports/function-store.js';
import { statementName } from './statements.js';
import type { RotationPatch, RotationQueries, RotationRecords } from '../../../ports/rotation-store.js';
import {
  rotationColumns,
  rotationConfigValues,
  rotationValues,
  toFunction,
  toRotation,
  toRotationConfig,
  toRotationEvent,
} from './rotation-rows.js';
import { storableMessage } from './rows.js';
import * as sql from './rotation-statements.js';
import { all, first, run, type Queryable, type Sql } from './statements.js';

/** Rotation reads and writes on a transaction's client. */
export function createRotationRecords(db: Queryable): RotationRecords {
  return {
    async getRotationConfig(arn) {
      const row = await first(db, sql.rotationConfig(arn));
      return row && toRotationConfig(row);
    },
    async setRotationConfig(arn, config) {
      if (config === undefined) await run(db, sql.deleteRotationConfig(arn));
      else await run(db, sql.upsertRotationConfig(...rotationConfigValues(arn, config)));
    },
    async insertRotation(rotation) {
      await run(db, sql.insertRotation(...rotationValues(rotation)));
    },
    async getRotation(id) {
      const row = await first(db, sql.rotation(id));
      return row && toRotation(row);
    },
    async getActiveRotation(arn) {
      const row = await first(db, sql.activeRotation(arn));
      return row && toRotation(row);
    },
    async getLatestRotation(arn) {
      const row = await first(db, sql.latestRotation(arn));
      return row && toRotation(row);
    },
    async updateRotation(id, epoch, patch: RotationPatch) {
      const fields = (Object.keys(patch) as (keyof RotationPatch)[]).filter((field) => field in rotationColumns).sort();
      if (fields.length === 0) {
        const row = await first(db, sql.rotationFence(id));
        return row?.epoch === epoch && (row.state === 'running' || row.state === 'retrying');
      }
      const assignments = fields.map((field, i) => `${rotationColumns[field].column} = $${i + 3}::${rotationColumns[field].cast}`);
      // The epoch is the fence: a worker that lost its lease updates nothing; and a rotation
      // that has ended (succeeded, failed, cancelled) is never written again. A concurrent
      // claim holds the row lock until it commits; READ COMMITTED then re-checks this WHERE
      // against the claimed row, so the old epoch no longer matches.
      const update: Sql<never> = {
        name: statementName('update-rotation', fields),
        text: `UPDATE rotations SET ${assignments.join(', ')} WHERE id = $1 AND epoch = $2 AND state IN ('running', 'retrying')`,
        values: [id, epoch, ...fields.map((field) => (field === 'lastError' ? storableMessage(patch.lastError ?? null) : (patch[field] ?? null)))],
      };
      return (await run(db, update)) === 1;
    },
    async reopenFailedRotation(id, now) {
      return (await run(db, sql.reopenFailed(now, id))) === 1;
    },
    async appendRotationEvent(event) {
      const row = await first(
        db,
        sql.insertEvent(
          event.at,
          event.kind,
          event.secretArn,
          event.secretName,
          event.rotationId ?? null,
          event.versionId ?? null,
          event.step ?? null,
          event.attempt ?? null,
          storableMessage(event.message ?? null),
        ),
      );
      if (!row) throw new Error('rotation event insert returned no id');
      return row.id;
    },
  };
}

/**
 * Rotation queries outside transactions, straight on the pool: each is one statement,
 * atomic by itself (the claim locks and updates its rows in one UPDATE).
 */
export function createRotationQueries(pool: Queryable): RotationQueries {
  return {
    async claimRunnableRotations(owner, now, leaseUntil, limit) {
      return (await all(pool, sql.claimRunnable(owner, leaseUntil, now, limit))).map(toRotation);
    },
    releaseLeasesOf(owner) {
      return run(pool, sql.releaseLeasesOf(owner));
    },
    async renewLease(id, epoch, owner, leaseUntil) {
      return (await run(pool, sql.renewLease(leaseUntil, id, epoch, owner))) === 1;
    },
    async findDueSecrets(now, limit) {
      return (await all(pool, sql.dueSecrets(now, limit))).map((row) => ({ arn: row.arn, nextRotationAt: row.next_rotation_at }));
    },
    async earliestDueAt() {
      return (await first(pool, sql.earliestDue()))?.at ?? undefined;
    },
    async earliestRunnableAt() {
      return (await first(pool, sql.earliestRunnable()))?.at ?? undefined;
    },
    async listRotations(arn, limit) {
      return (await all(pool, sql.rotationsOfSecret(arn, limit))).map(toRotation);
    },
    async listRotationEvents(afterId, limit) {
      return (await all(pool, sql.eventsAfter(afterId, limit))).map(toRotationEvent);
    },
    async listSecretRotationEvents(arn, sinceAt, limit) {
      return (await all(pool, sql.eventsOfSecretSince(arn, sinceAt, limit))).map(toRotationEvent);
    },
    async latestRotationEventId() {
      return (await first(pool, sql.latestEventId()))?.id ?? 0;
    },
  };
}

export function createFunctionStore(pool: Queryable): FunctionStore {
  return {
    async insertFunction(fn) {
      await run(pool, sql.insertFunction(fn.name, fn.arn, fn.kind, fn.sealedConfig, fn.createdAt));
    },
    async findFunctionByArn(arn) {
      const row = await first(pool, sql.functionByArn(arn));
      return row && toFunction(row);
    },
    async findFunctionByName(name) {
      const row = await first(pool, sql.functionByName(name));
      return row && toFunction(row);
    },
    async listFunctions() {
      return (await all(pool, sql.functions())).map(toFunction);
    },
    async deleteFunction(name) {
      return (await run(pool, sql.deleteFunction(name))) > 0;
    },
  };
}
