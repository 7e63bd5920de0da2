import { nextRotationDate, parseRotationRules } from '../domain/rotation-schedule.js';
import type { StoredRotationConfig } from '../ports/rotation-store.js';
import type { SecretStoreTransaction } from '../ports/secret-store.js';

/** When the secret's next rotation starts, from its stored configuration; undefined without a schedule. */
export function computeNextRotationAt(
  config: StoredRotationConfig,
  arn: string,
  anchor: number,
  now: number,
  options: { expiryNotBefore?: number } = {},
): number | undefined {
  // A secret waiting for a person (a dead OAuth chain) is not rotated on any schedule.
  if (!config.enabled || config.attention !== undefined) return undefined;
  const byRules = hasSchedule(config) ? nextRotationDate(parseRotationRules(config.rules, { timeZone: config.timeZone, spread: config.spread }), { anchor, now, secretKey: arn }) : undefined;
  if (config.expiryDueAt === undefined) return byRules;
  // After a failed run the expiry is usually already due: waiting `expiryNotBefore` keeps a
  // failing provider from being asked again at once, run after run.
  const byExpiry = Math.max(config.expiryDueAt, options.expiryNotBefore ?? 0);
  return byRules === undefined ? byExpiry : Math.min(byRules, byExpiry);
}

function hasSchedule(config: StoredRotationConfig): boolean {
  return config.rules.AutomaticallyAfterDays !== undefined || config.rules.ScheduleExpression !== undefined;
}

/**
 * A manual value change (PutSecretValue or UpdateSecret making a new AWSCURRENT) "is
 * considered a valid rotation" by AWS when it computes the next date. Rotor does the
 * same unless the secret opted out (`resetOnManualChange: false`); writes made by a
 * rotation (AWSPENDING) never count.
 */
export async function resetScheduleAfterManualChange(tx: SecretStoreTransaction, arn: string, now: number): Promise<void> {
  const config = await tx.getRotationConfig(arn);
  if (!config?.enabled || !config.resetOnManualChange || config.nextRotationAt === undefined) return;
  if (await tx.getActiveRotation(arn)) return;
  await tx.setRotationConfig(arn, { ...config, anchorAt: now, nextRotationAt: computeNextRotationAt(config, arn, now, now) });
}
