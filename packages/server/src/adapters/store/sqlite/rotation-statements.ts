import type Database from 'better-sqlite3';
import type { FunctionRow, RotationConfigRow, RotationEventRow, RotationRow } from './rotation-rows.js';

/** The rotation tables' statements, prepared once per connection (see statements.ts). */
export function prepareRotationStatements(db: Database.Database) {
  const active = "state IN ('running', 'retrying')";
  return {
    rotationConfig: db.prepare<[string], RotationConfigRow>('SELECT * FROM rotation_configs WHERE secret_arn = ?'),
    upsertRotationConfig: db.prepare(
      `INSERT INTO rotation_configs (secret_arn, enabled, function_arn, rules, time_zone, spread, reset_on_manual_change,
         last_rotated_at, next_rotation_at, anchor_at, expiry_due_at, attention)
       VALUES (@secret_arn, @enabled, @function_arn, @rules, @time_zone, @spread, @reset_on_manual_change,
         @last_rotated_at, @next_rotation_at, @anchor_at, @expiry_due_at, @attention)
       ON CONFLICT (secret_arn) DO UPDATE SET enabled = excluded.enabled, function_arn = excluded.function_arn,
         rules = excluded.rules, time_zone = excluded.time_zone, spread = excluded.spread,
         reset_on_manual_change = excluded.reset_on_manual_change, last_rotated_at = excluded.last_rotated_at,
         next_rotation_at = excluded.next_rotation_at, anchor_at = excluded.anchor_at,
         expiry_due_at = excluded.expiry_due_at, attention = excluded.attention`,
    ),
    deleteRotationConfig: db.prepare<[string]>('DELETE FROM rotation_configs WHERE secret_arn = ?'),
    insertRotation: db.prepare(
      `INSERT INTO rotations (id, secret_arn, version_id, function_arn, mode, trigger, state, step, attempt,
         next_attempt_at, last_error, lease_owner, lease_expires_at, epoch, rotation_token, created_at, updated_at,
         finished_at, due_at, checkpoint)
       VALUES (@id, @secret_arn, @version_id, @function_arn, @mode, @trigger, @state, @step, @attempt,
         @next_attempt_at, @last_error, @lease_owner, @lease_expires_at, @epoch, @rotation_token, @created_at,
         @updated_at, @finished_at, @due_at, @checkpoint)`,
    ),
    rotation: db.prepare<[string], RotationRow>('SELECT * FROM rotations WHERE id = ?'),
    activeRotation: db.prepare<[string], RotationRow>(`SELECT * FROM rotations WHERE secret_arn = ? AND ${active}`),
    latestRotation: db.prepare<[string], RotationRow>(
      'SELECT * FROM rotations WHERE secret_arn = ? ORDER BY created_at DESC, rowid DESC LIMIT 1',
    ),
    rotationsOfSecret: db.prepare<[string, number], RotationRow>(
      'SELECT * FROM rotations WHERE secret_arn = ? ORDER BY created_at DESC, rowid DESC LIMIT ?',
    ),
    // Claims bump the epoch: whoever held the rotation before can no longer write it.
    claimRunnable: db.prepare<[{ owner: string; leaseUntil: number; now: number; limit: number }], RotationRow>(
      `UPDATE rotations SET lease_owner = @owner, lease_expires_at = @leaseUntil, epoch = epoch + 1
       WHERE id IN (
         SELECT id FROM rotations
         WHERE ${active} AND next_attempt_at <= @now AND (lease_expires_at IS NULL OR lease_expires_at <= @now)
         ORDER BY next_attempt_at LIMIT @limit)
       RETURNING *`,
    ),
    reopenFailed: db.prepare<[number, number, string]>(
      `UPDATE rotations SET state = 'running', attempt = 1, next_attempt_at = ?, updated_at = ?, finished_at = NULL,
         lease_owner = NULL, lease_expires_at = NULL
       WHERE id = ? AND state = 'failed'`,
    ),
    releaseLeasesOf: db.prepare<[string]>(`UPDATE rotations SET lease_expires_at = 0 WHERE lease_owner = ? AND ${active}`),
    renewLease: db.prepare<[number, string, number, string]>(
      `UPDATE rotations SET lease_expires_at = ? WHERE id = ? AND epoch = ? AND lease_owner = ? AND ${active}`,
    ),
    dueSecrets: db.prepare<[number, number], { arn: string; next_rotation_at: number }>(
      `SELECT c.secret_arn AS arn, c.next_rotation_at FROM rotation_configs c
       WHERE c.enabled = 1 AND c.next_rotation_at IS NOT NULL AND c.next_rotation_at <= ?
         AND NOT EXISTS (SELECT 1 FROM rotations r WHERE r.secret_arn = c.secret_arn AND r.${active})
       ORDER BY c.next_rotation_at LIMIT ?`,
    ),
    // Walks the due-time index from the front and stops at the first secret not already
    // rotating (starting a rotation clears its due time, so few rows are ever skipped).
    earliestDue: db.prepare<[], { at: number | null }>(
      `SELECT c.next_rotation_at AS at FROM rotation_configs c
       WHERE c.enabled = 1 AND c.next_rotation_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM rotations r WHERE r.secret_arn = c.secret_arn AND r.${active})
       ORDER BY c.next_rotation_at LIMIT 1`,
    ),
    // A leased rotation becomes claimable when its lease runs out, not at its attempt time:
    // without the max() a worker would poll every 25 ms while any rotation is leased anywhere.
    earliestRunnable: db.prepare<[], { at: number | null }>(
      `SELECT min(max(next_attempt_at, coalesce(lease_expires_at, 0))) AS at FROM rotations WHERE ${active}`,
    ),
    insertEvent: db.prepare(
      `INSERT INTO rotation_events (at, kind, secret_arn, secret_name, rotation_id, version_id, step, attempt, message)
       VALUES (@at, @kind, @secret_arn, @secret_name, @rotation_id, @version_id, @step, @attempt, @message)`,
    ),
    eventsAfter: db.prepare<[number, number], RotationEventRow>('SELECT * FROM rotation_events WHERE id > ? ORDER BY id LIMIT ?'),
    // Walks the (secret_arn, id) index of one secret; `at` only trims the oldest rows.
    eventsOfSecretSince: db.prepare<[string, number, number], RotationEventRow>(
      'SELECT * FROM rotation_events WHERE secret_arn = ? AND at >= ? ORDER BY id LIMIT ?',
    ),
    latestEventId: db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM rotation_events'),
    insertFunction: db.prepare(
      'INSERT INTO functions (name, arn, kind, sealed_config, created_at) VALUES (@name, @arn, @kind, @sealed_config, @created_at)',
    ),
    functionByArn: db.prepare<[string], FunctionRow>('SELECT * FROM functions WHERE arn = ?'),
    functionByName: db.prepare<[string], FunctionRow>('SELECT * FROM functions WHERE name = ?'),
    functions: db.prepare<[], FunctionRow>('SELECT * FROM functions ORDER BY name'),
    deleteFunction: db.prepare<[string]>('DELETE FROM functions WHERE name = ?'),
  };
}

export type RotationStatements = ReturnType<typeof prepareRotationStatements>;
