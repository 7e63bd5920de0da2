import { AppError } from '../domain/errors.js';
import { parseRotationRules } from '../domain/rotation-schedule.js';
import type { StoredRotationConfig } from '../ports/rotation-store.js';
import type { RequestContext, SecretServiceDeps } from './context.js';
import { assertNotScheduledForDeletion, requireSecret } from './resolve-secret.js';
import { computeNextRotationAt } from './rotation-schedule-state.js';
import { createRotationStatus, type RotationStatus } from './rotation-status.js';

export interface ScheduleSettings {
  /** IANA zone for cron schedules; `null` goes back to UTC. */
  readonly TimeZone?: string | null | undefined;
  readonly Spread?: boolean | undefined;
  readonly ResetOnManualChange?: boolean | undefined;
}

function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new AppError('INVALID_PARAMETER', `Unknown time zone ${timeZone}: use an IANA name such as Europe/Berlin.`);
  }
}

/**
 * `PUT /v1/secrets/{id}/schedule`: Rotor's schedule extensions (time zone, spread, whether
 * a manual change restarts the interval) on a secret that already has a rotation
 * configuration. NextRotationDate is recomputed from the same anchor, so changing the
 * time zone of a cron schedule moves the next start at once; the scheduler is woken.
 */
export function createUpdateRotationSchedule(deps: Pick<SecretServiceDeps, 'store' | 'clock' | 'installation'> & { onScheduleChanged: () => void }) {
  const { store, clock, installation } = deps;
  const rotationStatus = createRotationStatus(deps);
  return async function updateRotationSchedule(secretId: string, settings: ScheduleSettings, context: RequestContext): Promise<RotationStatus> {
    if (typeof settings.TimeZone === 'string') assertTimeZone(settings.TimeZone);
    const arn = await store.transaction(async (tx) => {
      const now = clock.now();
      const secret = await requireSecret(tx, installation, secretId, now);
      assertNotScheduledForDeletion(secret);
      const existing = await tx.getRotationConfig(secret.arn);
      if (!existing) {
        throw new AppError('INVALID_REQUEST', `Secret ${secret.name} has no rotation configuration yet; configure rotation with RotateSecret first.`);
      }
      const updated: StoredRotationConfig = {
        ...existing,
        timeZone: settings.TimeZone === undefined ? existing.timeZone : (settings.TimeZone ?? undefined),
        spread: settings.Spread ?? existing.spread,
        resetOnManualChange: settings.ResetOnManualChange ?? existing.resetOnManualChange,
      };
      const hasSchedule = updated.rules.AutomaticallyAfterDays !== undefined || updated.rules.ScheduleExpression !== undefined;
      if (hasSchedule) parseRotationRules(updated.rules, { timeZone: updated.timeZone, spread: updated.spread });
      const active = await tx.getActiveRotation(secret.arn);
      // A running rotation is not due; its end computes the next date with the new settings.
      const nextRotationAt = active ? undefined : computeNextRotationAt(updated, secret.arn, updated.anchorAt, now);
      await tx.setRotationConfig(secret.arn, { ...updated, nextRotationAt });
      await tx.appendAudit({ at: now, actor: context.actor, operation: 'UpdateRotationSchedule', secretArn: secret.arn });
      return secret.arn;
    });
    deps.onScheduleChanged();
    return rotationStatus(arn);
  };
}
