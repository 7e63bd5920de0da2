import { nextRotationDate, parseRotationRules } from '../domain/rotation-schedule.js';
import type { StoredRotationConfig } from '../ports/rotation-store.js';
import type { SecretStoreTransaction } from '../ports/secret-store.js';

/** When the secret's next rotation starts, from its stored configuration; undefined without a schedule. */
export function computeNextRotationAt(config: StoredRotationConfig, arn: string, anchor: number, now: number): number | undefined {
  if (!config.enabled) return undefined;
  if (config.rules.AutomaticallyAfterDays === undefined && config.rules.ScheduleExpression === undefined) return undefined;
  const schedule = parseRotationRules(config.rules, { timeZone: config.timeZone, spread: config.spread });
  return nextRotationDate(schedule, { anchor, now, secretKey: arn });
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
