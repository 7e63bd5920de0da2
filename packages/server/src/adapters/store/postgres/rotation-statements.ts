import type { FunctionRow, RotationConfigRow, RotationEventRow, RotationRow } from './rotation-rows.js';
import { statement } from './statements.js';

/** The rotation tables' statements, one per function (see statements.ts). */
const active = "state IN ('running', 'retrying')";

const configFields = `secret_arn, enabled, function_arn, rules, time_zone, spread, reset_on_manual_change,
  last_rotated_at, next_rotation_at, anchor_at, expiry_due_at, attention`;
const rotationFields = `id, secret_arn, version_id, function_arn, mode, trigger, state, step, attempt,
  next_attempt_at, last_error, lease_owner, lease_expires_at, epoch, rotation_token, created_at, updated_at,
  finished_at, due_at, checkpoint`;
const eventFields = 'id, at, kind, secret_arn, secret_name, rotation_id, version_id, step, attempt, message';
const functionFields = 'name, arn, kind, sealed_config, created_at';

/**
 * Advisory-lock class ids (the first key of `pg_advisory_xact_lock(int, int)`); the second
 * key is a hash of the schema, so installations (and test files) sharing a database do
 * not wait on each other.
 */
export const lockClass = { migrations: 0x526f7401, rotationEvents: 0x526f7402 } as const;

export const rotationConfig = statement<[arn: string], RotationConfigRow>(
  'rotation-config',
  `SELECT ${configFields} FROM rotation_configs WHERE secret_arn = $1`,
);
/** Parameters: rotation-rows.ts `rotationConfigValues`. */
export const upsertRotationConfig = statement<unknown[]>(
  'upsert-rotation-config',
  `INSERT INTO rotation_configs (${configFields})
   VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12)
   ON CONFLICT (secret_arn) DO UPDATE SET enabled = excluded.enabled, function_arn = excluded.function_arn,
     rules = excluded.rules, time_zone = excluded.time_zone, spread = excluded.spread,
     reset_on_manual_change = excluded.reset_on_manual_change, last_rotated_at = excluded.last_rotated_at,
     next_rotation_at = excluded.next_rotation_at, anchor_at = excluded.anchor_at,
     expiry_due_at = excluded.expiry_due_at, attention = excluded.attention`,
);
export const deleteRotationConfig = statement<[arn: string]>(
  'delete-rotation-config',
  'DELETE FROM rotation_configs WHERE secret_arn = $1',
);

/** Parameters: rotation-rows.ts `rotationValues`. */
export const insertRotation = statement<unknown[]>(
  'insert-rotation',
  `INSERT INTO rotations (${rotationFields})
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
);
export const rotation = statement<[id: string], RotationRow>('rotation', `SELECT ${rotationFields} FROM rotations WHERE id = $1`);
/*
 * The fence check of an empty patch. FOR SHARE keeps the answer true until this
 * transaction ends: a claim (which bumps the epoch) waits for it, as it would wait for
 * the UPDATE a non-empty patch makes.
 */
export const rotationFence = statement<[id: string], { epoch: number; state: string }>(
  'rotation-fence',
  'SELECT epoch, state FROM rotations WHERE id = $1 FOR SHARE',
);
export const activeRotation = statement<[arn: string], RotationRow>(
  'active-rotation',
  `SELECT ${rotationFields} FROM rotations WHERE secret_arn = $1 AND ${active}`,
);
export const latestRotation = statement<[arn: string], RotationRow>(
  'latest-rotation',
  `SELECT ${rotationFields} FROM rotations WHERE secret_arn = $1 ORDER BY created_at DESC, seq DESC LIMIT 1`,
);
export const rotationsOfSecret = statement<[arn: string, limit: number], RotationRow>(
  'rotations-of-secret',
  `SELECT ${rotationFields} FROM rotations WHERE secret_arn = $1 ORDER BY created_at DESC, seq DESC LIMIT $2`,
);

/*
 * Claims bump the epoch: whoever held the rotation before can no longer write it.
 * FOR UPDATE SKIP LOCKED: replicas claiming at the same moment each take different rows
 * instead of queueing behind one another's locks (and a row whose fence another
 * transaction is holding, rotation-fence above, is skipped, not waited for). The
 * subquery's row locks and the UPDATE are one statement, so a row is never claimed twice.
 * RETURNING has no order of its own; the outer SELECT restores due order.
 */
export const claimRunnable = statement<[owner: string, leaseUntil: number, now: number, limit: number], RotationRow>(
  'claim-runnable',
  `WITH claimed AS (
     UPDATE rotations SET lease_owner = $1, lease_expires_at = $2, epoch = epoch + 1
     WHERE id IN (
       SELECT id FROM rotations
       WHERE ${active} AND next_attempt_at <= $3 AND (lease_expires_at IS NULL OR lease_expires_at <= $3)
       ORDER BY next_attempt_at LIMIT $4
       FOR UPDATE SKIP LOCKED)
     RETURNING ${rotationFields}, seq)
   SELECT ${rotationFields} FROM claimed ORDER BY next_attempt_at, seq`,
);
export const reopenFailed = statement<[now: number, id: string]>(
  'reopen-failed',
  `UPDATE rotations SET state = 'running', attempt = 1, next_attempt_at = $1, updated_at = $1, finished_at = NULL,
     lease_owner = NULL, lease_expires_at = NULL
   WHERE id = $2 AND state = 'failed'`,
);
export const releaseLeasesOf = statement<[owner: string]>(
  'release-leases-of',
  `UPDATE rotations SET lease_expires_at = 0 WHERE lease_owner = $1 AND ${active}`,
);
export const renewLease = statement<[leaseUntil: number, id: string, epoch: number, owner: string]>(
  'renew-lease',
  `UPDATE rotations SET lease_expires_at = $1 WHERE id = $2 AND epoch = $3 AND lease_owner = $4 AND ${active}`,
);
export const dueSecrets = statement<[now: number, limit: number], { arn: string; next_rotation_at: number }>(
  'due-secrets',
  `SELECT c.secret_arn AS arn, c.next_rotation_at FROM rotation_configs c
   WHERE c.enabled AND c.next_rotation_at IS NOT NULL AND c.next_rotation_at <= $1
     AND NOT EXISTS (SELECT 1 FROM rotations r WHERE r.secret_arn = c.secret_arn AND r.${active})
   ORDER BY c.next_rotation_at LIMIT $2`,
);
// Walks the due-time index from the front and stops at the first secret not already
// rotating (starting a rotation clears its due time, so few rows are ever skipped).
export const earliestDue = statement<[], { at: number | null }>(
  'earliest-due',
  `SELECT c.next_rotation_at AS at FROM rotation_configs c
   WHERE c.enabled AND c.next_rotation_at IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM rotations r WHERE r.secret_arn = c.secret_arn AND r.${active})
   ORDER BY c.next_rotation_at LIMIT 1`,
);
// A leased rotation becomes claimable when its lease runs out, not at its attempt time:
// without GREATEST a worker would poll every 25 ms while any rotation is leased anywhere.
export const earliestRunnable = statement<[], { at: number | null }>(
  'earliest-runnable',
  `SELECT min(GREATEST(next_attempt_at, COALESCE(lease_expires_at, 0))) AS at FROM rotations WHERE ${active}`,
);

/*
 * Readers page through the event log by id ("events after 41"), so ids must become
 * visible in id order. A sequence alone does not promise that on PostgreSQL: two
 * transactions draw 42 and 43, 43 commits first, a reader moves its cursor past 43 and
 * never sees 42. The transaction-scoped advisory lock, taken before the id is drawn and
 * held until COMMIT, makes event-writing transactions of one schema draw and commit ids
 * in turn. They are rotation steps and starts (a few per rotation), not the read path.
 * The lock is taken in the same statement that inserts, just before the id is drawn.
 */
export const insertEvent = statement<
  [
    at: number,
    kind: string,
    secretArn: string,
    secretName: string,
    rotationId: string | null,
    versionId: string | null,
    step: string | null,
    attempt: number | null,
    message: string | null,
  ],
  { id: number }
>(
  'insert-event',
  `INSERT INTO rotation_events (at, kind, secret_arn, secret_name, rotation_id, version_id, step, attempt, message)
   SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9
   FROM (SELECT pg_advisory_xact_lock(${lockClass.rotationEvents}, hashtext(current_schema()))) AS event_order
   RETURNING id`,
);
export const eventsAfter = statement<[afterId: number, limit: number], RotationEventRow>(
  'events-after',
  `SELECT ${eventFields} FROM rotation_events WHERE id > $1 ORDER BY id LIMIT $2`,
);
// Walks the (secret_arn, id) index of one secret; `at` only trims the oldest rows.
export const eventsOfSecretSince = statement<[arn: string, sinceAt: number, limit: number], RotationEventRow>(
  'events-of-secret-since',
  `SELECT ${eventFields} FROM rotation_events WHERE secret_arn = $1 AND at >= $2 ORDER BY id LIMIT $3`,
);
export const latestEventId = statement<[], { id: number | null }>('latest-event-id', 'SELECT max(id) AS id FROM rotation_events');

export const insertFunction = statement<[name: string, arn: string, kind: string, sealedConfig: Buffer, createdAt: number]>(
  'insert-function',
  `INSERT INTO functions (${functionFields}) VALUES ($1, $2, $3, $4, $5)`,
);
export const functionByArn = statement<[arn: string], FunctionRow>(
  'function-by-arn',
  `SELECT ${functionFields} FROM functions WHERE arn = $1`,
);
export const functionByName = statement<[name: string], FunctionRow>(
  'function-by-name',
  `SELECT ${functionFields} FROM functions WHERE name = $1`,
);
export const functions = statement<[], FunctionRow>('functions', `SELECT ${functionFields} FROM functions ORDER BY name COLLATE "C"`);
export const deleteFunction = statement<[name: string]>('delete-function', 'DELETE FROM functions WHERE name = $1');
